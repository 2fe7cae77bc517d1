# embed.cmake: turns a text file (IN) into a C source (OUT) defining
# `const char weft__schema_sql[]`, so the weft binary carries its schema.
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT} "/* generated from schema.sql by embed.cmake: do not edit */\n"
  "extern const char weft__schema_sql[];\n"
  "const char weft__schema_sql[] = {${bytes} 0};\n")
