# SPDX-License-Identifier: MIT
# embed.cmake: turns a text file (IN) into a C source (OUT) defining
# `const char VAR[]` (default weft__schema_sql), so the weft binary carries
# its schema and the HTML report's CSS and script; also `VAR_sha256[]`,
# the file's SHA-256 in hex (the report's Content-Security-Policy allows
# its inline script and style by hash).
if(NOT VAR)
  set(VAR weft__schema_sql)
endif()
file(READ ${IN} content HEX)
file(SHA256 ${IN} digest)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
get_filename_component(name ${IN} NAME)
file(WRITE ${OUT} "/* generated from ${name} by embed.cmake: do not edit */\n"
  "extern const char ${VAR}[], ${VAR}_sha256[];\n"
  "const char ${VAR}[] = {${bytes} 0};\n"
  "const char ${VAR}_sha256[] = \"${digest}\";\n")
