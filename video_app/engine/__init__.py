"""The video engine, one package per pipeline stage in the order a video is made:
script -> scenes -> media -> voice -> render -> export, all over `core`, which imports no stage.
Plain data in and out, no database; each stage's providers sit in a lazy table chosen by settings.
"""
