"""LiteRT (TFLite) files: `convert` writes them from the wrapper graph; `flatbuffer` reads and edits them."""
