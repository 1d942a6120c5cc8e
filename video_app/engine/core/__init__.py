"""What every stage of the engine shares and none owns: plain types, errors, the lazy provider
tables, FFmpeg and the encoding rules, HTTP for cloud providers, fonts, styles, keywords,
platforms and the packaged models. It imports no stage.
"""
