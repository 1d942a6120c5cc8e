"""The video engine: one module per capability, each with providers behind one small interface.

text_generation (scripts) -> script_processing + conversation (scenes, keywords, speakers)
-> media (a picture or clip per scene) -> tts (voice + word timings per scene)
-> video_editing (segments, transitions, captions, music) -> platform_export (per-platform files).
Providers are chosen by settings through `registry`; the offline defaults need no key or network.
Nothing here touches the database: services in video_app.services call these with plain data.
"""
