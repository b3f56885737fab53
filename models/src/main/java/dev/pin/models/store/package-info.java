/**
 * The on-disk model store (ARCHITECTURE.md "Models"): one directory per model under
 * {@code $PIN_MODELS_HOME} (default {@code ~/.cache/pin/models}) holding {@code model.onnx}, the
 * tokenizer files and {@code manifest.json}.
 *
 * <p><b>CLIP directories</b> (architecture {@code clip}, ALGORITHMS.md §6.3; written by
 * {@code ClipModelWriter}, imported from a HuggingFace {@code CLIPModel} by {@code HfClipImporter}
 * with {@code pin models import NAME --from DIR}) hold two graphs: {@code text_model.onnx}
 * (manifest file role {@code model}: int64 {@code input_ids}, {@code attention_mask} →
 * {@code text_embeds}) and {@code vision_model.onnx} (role {@code vision-model}: float
 * {@code pixel_values [batch, 3, N, N]} → {@code image_embeds}), both unnormalised projections;
 * CLIP's {@code tokenizer.json}; and HF's {@code preprocessor_config.json} for reference. The
 * manifest's {@code hidden_size} is the projection width, the other sizes are the text tower's
 * ({@code max_positions} 77), {@code special_tokens} are {@code bos} = {@code <|startoftext|>},
 * {@code eos} = {@code pad} = {@code <|endoftext|>}, and {@code image_preprocessing} records the
 * vision constants (image size, shortest-edge resize, crop, PIL resample code, rescale factor,
 * mean, std) that every client must apply; {@code source.text_pooling} says whether the text graph
 * pools at {@code argmax(input_ids)} (configs with {@code eos_token_id} 2) or at the first
 * {@code eos_token_id}.
 *
 * <p><b>Causal-LM directories</b> ({@code gpt2-clm}, {@code opt-clm}) hold {@code model.onnx},
 * the byte-level BPE {@code tokenizer.json} and the manifest. Converted ones (from safetensors)
 * take int64 {@code input_ids [batch, sequence]}, {@code attention_mask [batch, past + sequence]},
 * {@code positions [batch, k]} and {@code past_key_values.N.key|value [batch, heads, past,
 * head]}, and emit {@code logits [batch, k, vocab]}, {@code last_hidden_state} and {@code
 * present.N.key|value}; optimum imports keep their own graph, whose real input names (e.g. {@code
 * position_ids}, no {@code positions}) are in {@code inputs} and whose outputs are under their
 * roles in {@code outputs}; {@code source.kind} is {@code optimum-onnx}. Special tokens: GPT-2's
 * {@code bos} = {@code eos} = {@code pad} = {@code <|endoftext|>}; OPT's {@code bos} = {@code eos}
 * = {@code </s>} (2, prepended to every input as HF's tokenizer does) and {@code pad} = {@code
 * <pad>} (1). An OPT manifest's {@code hidden_size} is {@code word_embed_proj_dim}, the width of
 * {@code last_hidden_state} (512 for opt-350m).
 */
package dev.pin.models.store;
