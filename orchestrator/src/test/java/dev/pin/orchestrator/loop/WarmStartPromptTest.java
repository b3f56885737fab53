package dev.pin.orchestrator.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import dev.pin.orchestrator.spec.SpecException;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.Prompt;
import dev.pin.v1.RunSpec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WarmStartPromptTest {
  @TempDir Path home;

  private static final WordPieceTokenizer TOKENIZER = new WordPieceTokenizer(TinyModels.vocab(),
      true, List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));

  private static RunSpec spec(String backbone, int promptLength, String warm) {
    return RunSpec.newBuilder().setWarmStartPrompt(warm).setPolicy(PolicyConfig.newBuilder()
        .setBackbone(ModelRef.newBuilder().setName(backbone)).setPromptLength(promptLength))
        .build();
  }

  @Test
  void aPromptOfTTokensBecomesTheirIdsAndTheirDecodedText() {
    Prompt p = WarmStartPrompt.tokenize("It was GREAT!", TOKENIZER, "tiny-bert", 4);
    assertEquals(List.of("it", "was", "great", "!"), p.getTokensList());
    assertEquals(List.of(TOKENIZER.id("it"), TOKENIZER.id("was"), TOKENIZER.id("great"),
        TOKENIZER.id("!")), p.getTokenIdsList());
    assertEquals("it was great !", p.getText(), "printed as the policy prints its prompts");
  }

  @Test
  void wordPiecesCountAsTokens() {
    // "zq" is not a word of the tiny vocabulary: z ##q, two of the five tokens.
    Prompt p = WarmStartPrompt.tokenize("a zq movie so", TOKENIZER, "tiny-bert", 5);
    assertEquals(List.of("a", "z", "##q", "movie", "so"), p.getTokensList());
    assertEquals("a zq movie so", p.getText());
  }

  @Test
  void aPromptOfAnotherLengthIsRefusedNamingTheFieldAndTheCount() {
    SpecException e = assertThrows(SpecException.class,
        () -> WarmStartPrompt.tokenize("it was great", TOKENIZER, "tiny-bert", 5));
    String message = e.problems().get(0);
    assertTrue(message.startsWith("spec.warm_start_prompt: "), message);
    assertTrue(message.contains("is 3 tokens [it, was, great]"), message);
    assertTrue(message.contains("prompt_length = 5"), message);
    assertThrows(SpecException.class,
        () -> WarmStartPrompt.tokenize("   ", TOKENIZER, "tiny-bert", 5));
  }

  @Test
  void specialAndUnknownTokensAreRefused() {
    SpecException mask = assertThrows(SpecException.class,
        () -> WarmStartPrompt.tokenize("it was [MASK]", TOKENIZER, "tiny-bert", 3));
    assertTrue(mask.problems().get(0).contains("token 3 of \"it was [MASK]\" is [MASK]"),
        mask.problems().get(0));
    // A CJK character is a word of its own that the tiny vocabulary cannot spell.
    SpecException unk = assertThrows(SpecException.class,
        () -> WarmStartPrompt.tokenize("it was 好", TOKENIZER, "tiny-bert", 3));
    assertTrue(unk.problems().get(0).contains("is [UNK]"), unk.problems().get(0));
  }

  @Test
  void readsTheBackbonesVocabularyFromTheModelStore() throws Exception {
    TinyModels.bertMlm(home.resolve("tiny-bert"), 1);
    ModelStore store = new ModelStore(home);
    assertTrue(WarmStartPrompt.of(spec("tiny-bert", 2, ""), store).isEmpty());
    assertEquals("great movie",
        WarmStartPrompt.of(spec("tiny-bert", 2, "great movie"), store).orElseThrow().getText());

    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
        () -> WarmStartPrompt.of(spec("no-such-model", 2, "great movie"), store));
    assertEquals(Status.Code.FAILED_PRECONDITION, missing.getStatus().getCode());
    assertTrue(missing.getStatus().getDescription().startsWith("spec.warm_start_prompt: "));
    assertTrue(missing.getStatus().getDescription().contains("no-such-model"));

    TinyModels.gpt2Clm(home.resolve("tiny-gpt2"), 1);
    StatusRuntimeException causal = assertThrows(StatusRuntimeException.class,
        () -> WarmStartPrompt.of(spec("tiny-gpt2", 2, "great movie"), store));
    assertEquals(Status.Code.FAILED_PRECONDITION, causal.getStatus().getCode());
  }
}
