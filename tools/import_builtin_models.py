"""Write catalog/models_imported.toml: built-in models added through the config.json importer.

    python tools/import_builtin_models.py [--check]

Each model is imported from its reconstructed config.json (tests/data/hf_configs/) with
advisor.catalog.hf_config.model_entry, then given its citations, release date, the fields that had
to be inferred (`estimated`) and notes. There is no network here: the configs were rebuilt from
public engine code and model cards found with a code search; every source is named below.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "hf_configs"
OUT = ROOT / "catalog" / "models_imported.toml"

MODELS = [
    {
        "fixture": "minimax_m2_5.json",
        "id": "minimax_m2_5",
        "name": "MiniMax-M2.5",
        "aliases": ["minimax_m2", "minimax_m2_1"],
        "release_date": "2026-02",
        "estimated": ["num_heads", "release_date"],
        "sources": [
            "https://huggingface.co/MiniMaxAI/MiniMax-M2.5 (config.json reconstructed in tests/data/hf_configs/minimax_m2_5.json)",
            "MiniMax-AI/MiniMax-M2.5:docs/transformers_deploy_guide.md (the guide applies to M2.5, M2.1 and M2 alike; 220 GB of weights)",
            "ModelCloud/GPTQModel:gptqmodel/hf_minimax_m2/configuration_minimax_m2.py (MiniMaxM2Config defaults: vocab 200,064, "
            "hidden 3,072, expert intermediate 1,536, 62 layers, 48 heads, 8 KV heads, head_dim 128, 256 experts, top-8, "
            "196,608 positions, rotary_dim 64)",
            "Tenstorrent MiniMax-M2.5 config helper, code-search file id 10087098111 (256 routed experts, no shared expert, "
            "sigmoid top-8, partial RoPE 64 of 128, FP8 [128,128] blocks, QK norm, 3 MTP modules)",
            "xorbitsai/inference:doc/source/models/builtin/llm/minimax-m2.5.rst (230B, context 196,608)",
            "huggingface/transformers:docs/source/en/model_doc/minimax_m2.md (230B total, 10B active)",
        ],
        "notes": ("Architecture only (no measured data in reference/). Full softmax GQA in all 62 layers (attn_type_list all 1; "
                  "MiniMax-Text-01's lightning layers are gone), 256 experts top-8 without a shared expert, 3 MTP modules. "
                  "Released FP8 (block 128x128). num_heads: the M2 config class gives 48, a Tenstorrent helper comment says 24; "
                  "48 used. Counted 228.7B total / 11.0B active (incl. embeddings) vs the card's 229-230B / 10B."),
    },
    {
        "fixture": "qwen3_5_397b_a17b.json",
        "id": "qwen3_5_397b_a17b",
        "name": "Qwen3.5-397B-A17B",
        "aliases": ["qwen3_5", "qwen3_5_397b"],
        "release_date": "2026-02",
        "estimated": ["vocab_size", "mtp_layers", "release_date"],
        "sources": [
            "https://huggingface.co/Qwen/Qwen3.5-397B-A17B (config.json text_config reconstructed in tests/data/hf_configs/qwen3_5_397b_a17b.json)",
            "NVIDIA Megatron MIMO example, configs/qwen35_vlm.py get_qwen35_language_model_config, code-search file id 42213864911 "
            "('All values match the HuggingFace text_config for Qwen3.5-397B-A17B': 60 layers, hidden 4,096, 32 heads, 2 KV groups, "
            "kv_channels 256, 512 experts top-10, expert and shared-expert FFN 1,024, linear_attention_freq 4, GDN 16 key / 64 value "
            "heads of 128, 262,144 positions, untied embeddings, output gate)",
            "Qwen3_5_MoeTextConfig config class, code-search file id 52734350554 (vocab_size 248,320, head_dim 256, attn_output_gate, "
            "full_attention_interval 4 -> layer_types)",
            "THUDM/slime:scripts/models/qwen3.5-27B.sh (vocab-size 248,320, rotary-percent 0.25, attention output gate)",
            "xorbitsai/inference:doc/source/models/builtin/llm/qwen3.5.rst (Qwen/Qwen3.5-397B-A17B: 397B, context 262,144)",
            "QwenLM/Qwen3.5:README.md (Gated Delta Networks combined with sparse Mixture-of-Experts)",
        ],
        "notes": ("Architecture only (no measured data in reference/). Qwen3-Next-style hybrid: 45 Gated DeltaNet layers with a fixed "
                  "64 x 128 x 128 state per sequence and 15 gated full-attention GQA layers (every 4th), 512 experts top-10 plus a "
                  "shared expert in every layer. The language model of a vision-language checkpoint (text_config). Counted 396.4B total / "
                  "17.3B active, matching the name. vocab_size is the Qwen3.5 family's (config-class default and the 27B script); "
                  "one MTP layer assumed. Official FP8 checkpoint exists (Qwen/Qwen3.5-397B-A17B-FP8). The engine keeps KV for the 15 "
                  "full-attention layers only and a fixed Gated DeltaNet state per sequence for the other 45 (engine/arch.py)."),
    },
]


def build() -> str:
    sys.path.insert(0, str(ROOT))
    import tomli_w

    from advisor.catalog.hf_config import model_entry
    from advisor.domain import LLM

    entries = []
    for spec in MODELS:
        config = json.loads((FIXTURES / spec["fixture"]).read_text(encoding="utf-8"))
        e = model_entry(config, ident=spec["id"], name=spec["name"], sources=spec["sources"],
                        release_date=spec["release_date"], as_of=spec["release_date"])
        e["aliases"] = spec["aliases"]
        e["estimated"] = list(dict.fromkeys([*e["estimated"], *spec["estimated"]]))
        e["notes"] = spec["notes"] + " " + e["notes"]
        LLM.model_validate(e)
        entries.append(e)
    head = ("# Built-in catalog: models added with the config.json importer (advisor model import).\n"
            "# GENERATED by tools/import_builtin_models.py from tests/data/hf_configs/: edit the script, not this file.\n\n")
    return head + tomli_w.dumps({"model": entries})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    args = ap.parse_args()
    text = build()
    if args.check:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} differs from a fresh import", file=sys.stderr)
        return 0 if same else 1
    from advisor.locations import write_atomic

    write_atomic(OUT, text)
    print(f"wrote {OUT} ({len(MODELS)} models)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
