from gymnos_edge.cli import app

app(prog_name="gymnos-edge")
