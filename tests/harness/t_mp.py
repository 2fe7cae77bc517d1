# SPDX-License-Identifier: MIT
# t_mp.py: Python multiprocessing waits that another process ends after
# 1.5 s, longer than weft's default 1 s deadlock timeout (issue 9 item 5):
# an Event the child sets, a Lock the child holds, a Queue the child feeds.
# Each of them waits on a named semaphore (sem_open) in the parent's only
# thread. Usage: t_mp.py event|lock|queue...
import multiprocessing as mp
import sys
import time


def set_later(ev):
    time.sleep(1.5)
    ev.set()


def hold_lock(lock, held):
    with lock:
        held.set()
        time.sleep(1.5)


def put_later(q):
    time.sleep(1.5)
    q.put("item from the child")


def main():
    for what in sys.argv[1:]:
        if what == "event":
            ev = mp.Event()
            p = mp.Process(target=set_later, args=(ev,))
            p.start()
            ev.wait()
            print("event: set by the child")
        elif what == "lock":
            lock, held = mp.Lock(), mp.Event()
            p = mp.Process(target=hold_lock, args=(lock, held))
            p.start()
            held.wait()
            with lock:
                print("lock: released by the child")
        elif what == "queue":
            q = mp.Queue()
            p = mp.Process(target=put_later, args=(q,))
            p.start()
            print("queue: got", q.get())
        p.join()
        print(what, "child exit", p.exitcode)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
