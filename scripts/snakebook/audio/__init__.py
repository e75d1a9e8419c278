"""Audio: WAV writing, ffmpeg encoding, chapter markers, tags and cover."""
