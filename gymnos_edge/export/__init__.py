"""Export a trained run for phones: TFLite and Core ML with the smoothing step built in, self-validated.

`gymnos_edge.export.exporter.export_run` is the entry point; `formats.FORMATS`
is the table every part reads. Importing this package stays cheap: the
converters load TensorFlow and coremltools only when used.
"""
