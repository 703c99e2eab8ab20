from gymnos_edge.cli.app import app

app(prog_name="gymnos-edge")
