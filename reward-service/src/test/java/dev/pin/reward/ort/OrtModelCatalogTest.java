package dev.pin.reward.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.ort.SequenceEncoder;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.template.PromptTemplate;
import dev.pin.models.testing.RealModels;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.backend.TokenEmbedder;
import dev.pin.reward.classification.Verbalizers;
import dev.pin.reward.style.BertScore;
import dev.pin.v1.ModelPrecision;
import dev.pin.v1.ModelRef;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog's ONNX Runtime models on tiny random encoders in a temporary store. */
class OrtModelCatalogTest {
  static final String G = "\u0120"; // Ġ
  @TempDir static Path home;
  static ModelStore store;
  static OrtModelCatalog catalog;
  static ModelDir roberta;
  static ModelDir bertCls;
  static ModelDir bert;

  @BeforeAll
  static void build() throws IOException {
    store = new ModelStore(home);
    roberta = TinyModels.robertaMlm(store.dir("tiny-roberta"), 3);
    bertCls = TinyModels.sequenceClassifier(store.dir("tiny-style"), false,
        List.of("negative", "positive"), 4);
    bert = TinyModels.bertMlm(store.dir("tiny-bert"), 5);
    catalog = new OrtModelCatalog(store, OrtConfig.cpu(1));
  }

  @AfterAll
  static void close() {
    catalog.close();
  }

  static ModelRef ref(String name) {
    return ModelRef.newBuilder().setName(name).build();
  }

  /** The auto choice through the catalog: one model name, two precisions, two task models. */
  @Test
  void autoPrecisionRunsTheVnniVariantOnAVnniCpu() throws IOException {
    ModelStore own = new ModelStore(home.resolve("int8-store"));
    BertModelWriter.addVariant(TinyModels.bertMlm(own.dir("tiny-bert"), 5), Int8Recipe.VNNI);
    CpuFeatures vnni = new CpuFeatures("test CPU", Set.of("avx2", "avx512_vnni"));
    try (OrtModelCatalog c = new OrtModelCatalog(own, OrtConfig.cpu(1),
        new TaskModelPrecision(TaskModelPrecision.Setting.AUTO, vnni))) {
      TaskLanguageModel auto = c.languageModel(ref("tiny-bert")).orElseThrow();
      TaskLanguageModel fp32 = c.languageModel(ModelRef.newBuilder().setName("tiny-bert")
          .setPrecision(ModelPrecision.MODEL_PRECISION_FP32).build()).orElseThrow();
      assertEquals("int8", auto.variant());
      assertTrue(auto.identity().startsWith("tiny-bert int8 (recipe " + Int8Recipe.VNNI.id()),
          auto.identity());
      assertTrue(auto.identity().contains("avx512_vnni"), auto.identity());
      assertEquals("", fp32.variant());
      assertTrue(fp32.identity().startsWith("tiny-bert fp32"), fp32.identity());
    }
  }

  @Test
  void robertaIsAMaskedTaskModelWithLeadingSpaceVerbalizers() throws IOException {
    TaskLanguageModel lm = catalog.languageModel(ref("tiny-roberta")).orElseThrow();
    assertTrue(lm.isMasked());
    assertEquals("<mask>", lm.tokenizer().maskToken().orElseThrow());
    // §6.1: the template "{x} {prompt} {mask} ." puts a space before the label word, so the
    // verbalizers are the Ġ-forms of the words.
    PromptTemplate template = PromptTemplate.parse("{sentence} {prompt} {mask} .");
    boolean space = template.labelWordFollowsSpace(true);
    assertTrue(space);
    Verbalizers.Resolution r = Verbalizers.resolve(List.of("terrible", "great"), lm.tokenizer(),
        space, "tiny-roberta");
    assertTrue(r.ok(), r.problems().toString());
    assertEquals(List.of(G + "terrible", G + "great"), r.tokens());
    Verbalizers.Resolution bad = Verbalizers.resolve(List.of("okay", "great"), lm.tokenizer(),
        space, "tiny-roberta");
    assertFalse(bad.ok(), "okay is not one token of the tiny vocabulary");

    String text = "the movie was fun it was <mask> .";
    float[][] got = lm.logitsAt(List.of(text, "bad film <mask> ."), r.ids());
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm direct = MaskedLm.open(roberta, OrtConfig.cpu(1), sessions);
      int[] ids = direct.textTokenizer().encode(text);
      int mask = -1;
      for (int t = 0; t < ids.length; t++) {
        mask = ids[t] == roberta.manifest().specialId("mask") ? t : mask;
      }
      float[] full = direct.logitsAt(List.of(ids), new int[] {mask})[0];
      assertArrayEquals(new float[] {full[r.ids()[0]], full[r.ids()[1]]}, got[0], 1e-5f);
    }
  }

  @Test
  void classifierIsBatchedByLengthAndAnswersInOrder() throws IOException {
    SequenceClassifier cls = catalog.classifier(ref("tiny-style")).orElseThrow();
    assertTrue(catalog.classifier(ref("tiny-bert")).isEmpty(), "a masked LM is no classifier");
    assertTrue(catalog.languageModel(ref("tiny-style")).isEmpty(), "a classifier is no task LM");
    List<String> texts = new ArrayList<>();
    String[] words = "the movie was great fun but the plot was very boring and bad".split(" ");
    for (int i = 0; i < OrtModelCatalog.ENCODER_BATCH + 6; i++) {
      texts.add(String.join(" ", Arrays.copyOf(words, 1 + (i * 7) % words.length)));
    }
    float[][] p = cls.probabilities(texts);
    try (OrtSessions sessions = new OrtSessions()) {
      SequenceEncoder direct = SequenceEncoder.classifier(bertCls, OrtConfig.cpu(1), sessions);
      for (int i = 0; i < texts.size(); i++) {
        float[] logits = direct.logits(List.of(direct.tokenizer().encode(texts.get(i))))[0];
        double z = Math.exp(logits[0]) + Math.exp(logits[1]);
        assertEquals(Math.exp(logits[1]) / z, p[i][1], 1e-5, "text " + i);
        assertEquals(1.0, p[i][0] + p[i][1], 1e-6);
      }
    }
  }

  @Test
  void embedderFlagsSpecialTokensAndGivesBertScoreOneOnIdenticalText() throws IOException {
    TokenEmbedder emb = catalog.embedder(ref("tiny-bert")).orElseThrow();
    assertTrue(catalog.embedder(ref("tiny-style")).isPresent(), "classifiers embed too");
    List<TokenEmbedder.Embeddings> e = emb.embed(
        List.of("the movie was great", "the movie was great", "a terrible plot"), 1);
    assertEquals(6, e.get(0).vectors().length, "[CLS] the movie was great [SEP]");
    assertArrayEquals(new boolean[] {true, false, false, false, false, true},
        e.get(0).special());
    BertScore.Score same = BertScore.score(e.get(0).vectors(), keep(e.get(0)),
        e.get(1).vectors(), keep(e.get(1)));
    assertEquals(1f, same.f1(), 1e-5f);
    try (OrtSessions sessions = new OrtSessions()) {
      SequenceEncoder layer1 = SequenceEncoder.hiddenStates(bert, 1, OrtConfig.cpu(1), sessions);
      float[][] direct = layer1.hiddenStates(List.of(layer1.tokenizer()
          .encode("a terrible plot")))[0];
      for (int t = 0; t < direct.length; t++) {
        assertArrayEquals(direct[t], e.get(2).vectors()[t], 1e-5f);
      }
      // The exact BERTScore of two different texts from those embeddings.
      BertScore.Score other = BertScore.score(e.get(0).vectors(), keep(e.get(0)),
          e.get(2).vectors(), keep(e.get(2)));
      assertTrue(other.f1() < 1f);
    }
  }

  static boolean[] keep(TokenEmbedder.Embeddings e) {
    boolean[] k = new boolean[e.special().length];
    for (int i = 0; i < k.length; i++) {
      k[i] = !e.special()[i];
    }
    return k;
  }

  /** §6.2 content score on BERT-base at bert_score's layer 9 (skipped unless it is imported). */
  @Test
  void bertBaseContentScoreRanksAParaphraseAboveAnUnrelatedSentence() {
    ModelDir real = RealModels.assumeBertBase();
    try (OrtModelCatalog c = new OrtModelCatalog(new ModelStore(real.dir().getParent()),
        OrtConfig.cpu(0))) {
      TokenEmbedder emb = c.embedder(ref(real.name())).orElseThrow();
      List<TokenEmbedder.Embeddings> e = emb.embed(List.of(
          "the food at this restaurant was delicious .",
          "the food at this restaurant was delicious .",
          "the meals in this place were tasty .",
          "my car broke down on the highway yesterday ."), 9);
      float same = f1(e.get(0), e.get(1));
      float paraphrase = f1(e.get(0), e.get(2));
      float unrelated = f1(e.get(0), e.get(3));
      assertEquals(1f, same, 1e-5f);
      assertTrue(paraphrase > unrelated, "paraphrase " + paraphrase + " vs unrelated "
          + unrelated);
      System.out.printf("BERT-base layer 9 BERTScore F1: paraphrase %.4f, unrelated %.4f%n",
          paraphrase, unrelated);
    }
  }

  static float f1(TokenEmbedder.Embeddings a, TokenEmbedder.Embeddings b) {
    return BertScore.score(a.vectors(), keep(a), b.vectors(), keep(b)).f1();
  }
}
