/**
 * BERT's WordPiece tokenizer in plain Java (no native library): basic tokenization (cleaning,
 * lower-casing and accent stripping for uncased models, CJK and punctuation splitting) followed by
 * greedy longest-match WordPiece with {@code ##} continuations, as Google's {@code tokenization.py}
 * and HuggingFace's {@code BertTokenizer} do. It can also write the equivalent HuggingFace
 * {@code tokenizer.json} for tools that prefer it. {@link
 * dev.pin.platform.models.tokenizer.ByteLevelBpeTokenizer} wraps RoBERTa's byte-level BPE
 * {@code tokenizer.json} (DJL's bundled HuggingFace tokenizers); both implement {@link
 * dev.pin.platform.models.tokenizer.TextTokenizer}.
 */
package dev.pin.platform.models.tokenizer;
