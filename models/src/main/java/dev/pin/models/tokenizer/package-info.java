/**
 * BERT's WordPiece tokenizer in plain Java (no native library): basic tokenization (cleaning,
 * lower-casing and accent stripping for uncased models, CJK and punctuation splitting) followed by
 * greedy longest-match WordPiece with {@code ##} continuations, as Google's {@code tokenization.py}
 * and HuggingFace's {@code BertTokenizer} do. It can also write the equivalent HuggingFace
 * {@code tokenizer.json} for tools that prefer it. {@link
 * dev.pin.models.tokenizer.ByteLevelBpeTokenizer} wraps RoBERTa's byte-level BPE
 * {@code tokenizer.json} (DJL's bundled HuggingFace tokenizers); both implement {@link
 * dev.pin.models.tokenizer.TextTokenizer}.
 *
 * <p>{@link dev.pin.models.tokenizer.ClipTokenizer} is CLIP's BPE: DJL's HuggingFace
 * {@code tokenizers} (bundled native, offline) runs the normalizer, regex pre-tokenizer and
 * {@code </w>} BPE of CLIP's {@code tokenizer.json}; the class adds the start/end tokens and the
 * 77-token context, and can write a CLIP-format {@code tokenizer.json} for given merges.
 */
package dev.pin.models.tokenizer;
