"""Files: safetensors headers and tensors, the checkpoint, dtypes, text and its tokenizer, spill and stale folders."""
