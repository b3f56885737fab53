/**
 * BERT's WordPiece tokenizer in plain Java (no native library): basic tokenization (cleaning,
 * lower-casing and accent stripping for uncased models, CJK and punctuation splitting) followed by
 * greedy longest-match WordPiece with {@code ##} continuations, as Google's {@code tokenization.py}
 * and HuggingFace's {@code BertTokenizer} do. It can also write the equivalent HuggingFace
 * {@code tokenizer.json} for tools that prefer it.
 */
package dev.pin.platform.models.tokenizer;
