"""Tiny randomly initialised Coqui model folders, for tests and benchmarks (the sound is noise).

Built offline from coqui-tts's own config and model classes and saved in the standard folder layouts, so
that the Coqui engine loads them exactly as it loads a real model folder::

    .venv/bin/python tests/tiny_models.py vits DIR      # model.pth + config.json (1.5 M parameters, ~4 s)
    .venv/bin/python tests/tiny_models.py xtts DIR      # + vocab.json, speakers_xtts.pth (23 M parameters)

Test-only code (not part of the runtime package). Needs the optional Coqui install (``make coqui``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def make_tiny_vits(folder: str | Path, speakers: list[str] | None = None, seed: int = 0) -> Path:
    """A VITS model folder (``model.pth``, ``config.json``; ``speakers.json`` when ``speakers`` are given)."""
    import json

    import torch
    from TTS.config.shared_configs import BaseAudioConfig
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chars = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        pad="<PAD>",
        eos="<EOS>",
        bos="<BOS>",
        blank="<BLNK>",
        characters="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        punctuations="!'(),-.:;? \"",
        phonemes=None,
        is_unique=True,
        is_sorted=True,
    )
    args = VitsArgs(
        hidden_channels=32,
        hidden_channels_ffn_text_encoder=64,
        num_layers_text_encoder=2,
        num_layers_posterior_encoder=2,
        num_layers_flow=2,
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        upsample_rates_decoder=[8, 8, 4],
        upsample_kernel_sizes_decoder=[16, 16, 8],
        upsample_initial_channel_decoder=64,
        init_discriminator=False,
    )
    if speakers:
        speakers_file = folder / "speakers.json"
        speakers_file.write_text(json.dumps({name: i for i, name in enumerate(speakers)}), encoding="utf-8")
        args.use_speaker_embedding = True
        args.num_speakers = len(speakers)
        args.speakers_file = str(speakers_file)
    config = VitsConfig(
        model_args=args,
        audio=BaseAudioConfig(sample_rate=22050, hop_length=256, win_length=1024, fft_size=1024, num_mels=80),
        characters=chars,
        use_phonemes=False,
        text_cleaner="english_cleaners",
        add_blank=True,
    )
    if speakers:
        config.use_speaker_embedding = True
        config.num_speakers = len(speakers)
        config.speakers_file = str(folder / "speakers.json")
    torch.manual_seed(seed)
    model = Vits(config)
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


def make_tiny_xtts(
    folder: str | Path,
    languages: tuple[str, ...] = ("en",),
    speakers: tuple[str, ...] = ("rand",),
    max_audio_tokens: int = 100,
    seed: int = 0,
) -> Path:
    """An XTTS-v2 model folder (``config.json``, ``model.pth``, ``vocab.json``, ``speakers_xtts.pth``).

    ``max_audio_tokens`` bounds the random GPT (which never emits its stop token): 100 tokens are ~5 s of audio.
    """
    import importlib.resources

    import torch
    from tokenizers import Tokenizer
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.json"
    tokenizer = Tokenizer.from_file(str(importlib.resources.files("TTS") / "tts/utils/assets/tortoise/tokenizer.json"))
    tokenizer.add_special_tokens(["[START]"] + [f"[{code}]" for code in languages])
    tokenizer.save(str(vocab))
    args = XttsArgs(
        gpt_layers=2,
        gpt_n_model_channels=64,
        gpt_n_heads=2,
        decoder_input_dim=64,
        gpt_max_audio_tokens=max_audio_tokens,
        gpt_num_audio_tokens=1026,
        gpt_start_audio_token=1024,
        gpt_stop_audio_token=1025,
        tokenizer_file=str(vocab),
    )
    config = XttsConfig(model_args=args, languages=list(languages))
    torch.manual_seed(seed)
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(vocab_file=str(vocab))
    model.init_models()  # rebuilds the GPT with the vocab's token count and [START]/[STOP] ids
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    width = model.args.gpt_n_model_channels
    # Shapes as Xtts.get_conditioning_latents makes them; gpt_cond_latent must come first (synthesis unpacks
    # the speaker's dict by position).
    torch.save(
        {
            name: {"gpt_cond_latent": torch.randn(1, 32, width), "speaker_embedding": torch.randn(1, 512, 1)}
            for name in speakers
        },
        folder / "speakers_xtts.pth",
    )
    return folder


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    print({"vits": make_tiny_vits, "xtts": make_tiny_xtts}[kind](out))
