package dev.pin.models.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A classification template with {@code {sentence}}, {@code {prompt}} and {@code {mask}}
 * placeholders (§6.1), e.g. {@code "{sentence} {prompt} {mask} ."}.
 *
 * <p>Rendering is a single pass over the parsed template, so a sentence that happens to contain
 * {@code "{prompt}"} is never substituted twice. An empty value removes one adjacent space with its
 * placeholder, so an empty prompt gives {@code "x [MASK] ."} rather than {@code "x [MASK] ."}. The
 * prompt is stripped first: decoded byte-level BPE prompts often start with a space.
 */
public final class PromptTemplate {

  /** Placeholder for the input sentence x. */
  public static final String SENTENCE = "{sentence}";

  /** Placeholder for the prompt z. */
  public static final String PROMPT = "{prompt}";

  /** Placeholder for the task model's mask token. */
  public static final String MASK = "{mask}";

  /** RLPrompt's masked-LM template (§6.1). */
  public static final String DEFAULT_MASKED = "{sentence} {prompt} {mask} .";

  /** RLPrompt's AG News template (§6.1). */
  public static final String AG_NEWS = "{mask} {prompt} {sentence}";

  /** The causal-LM template: the label word is the next token (§6.1). */
  public static final String DEFAULT_CAUSAL = "{sentence} {prompt}";

  private static final String[] PLACEHOLDERS = {SENTENCE, PROMPT, MASK};

  private final String source;
  // Alternating pieces: a literal (String) or a placeholder (one of PLACEHOLDERS, by identity).
  private final List<Piece> pieces;

  private record Piece(String text, boolean placeholder) {}

  private PromptTemplate(String source, List<Piece> pieces) {
    this.source = source;
    this.pieces = pieces;
  }

  /**
   * Parses a template. Unknown {@code {...}} sequences stay literal text.
   *
   * @param template the template text
   * @return the parsed template
   */
  public static PromptTemplate parse(String template) {
    Objects.requireNonNull(template, "template");
    List<Piece> pieces = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      String hit = null;
      for (String p : PLACEHOLDERS) {
        if (template.startsWith(p, i)) {
          hit = p;
          break;
        }
      }
      if (hit == null) {
        literal.append(template.charAt(i));
        i++;
      } else {
        if (literal.length() > 0) {
          pieces.add(new Piece(literal.toString(), false));
          literal.setLength(0);
        }
        pieces.add(new Piece(hit, true));
        i += hit.length();
      }
    }
    if (literal.length() > 0) {
      pieces.add(new Piece(literal.toString(), false));
    }
    return new PromptTemplate(template, List.copyOf(pieces));
  }

  /**
   * The template text as given.
   *
   * @return the template
   */
  public String source() {
    return source;
  }

  /**
   * How often a placeholder occurs.
   *
   * @param placeholder one of {@link #SENTENCE}, {@link #PROMPT}, {@link #MASK}
   * @return the number of occurrences
   */
  public int count(String placeholder) {
    int n = 0;
    for (Piece p : pieces) {
      if (p.placeholder() && p.text().equals(placeholder)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Whether the label word the model predicts follows a space in the rendered text, which decides
   * the leading-space form of the verbalizer for byte-level BPE ({@code "Ġgreat"} vs {@code
   * "great"}). Masked LM: the character before {@code {mask}} is whitespace. Causal LM: the label
   * word is appended after the text, separated by a space unless the template ends in whitespace.
   *
   * @param masked whether the task model is a masked LM
   * @return true when the label word is preceded by a space
   */
  public boolean labelWordFollowsSpace(boolean masked) {
    if (!masked) {
      return source.isEmpty() || !Character.isWhitespace(source.charAt(source.length() - 1));
    }
    for (int i = 0; i < pieces.size(); i++) {
      Piece p = pieces.get(i);
      if (p.placeholder() && p.text().equals(MASK)) {
        if (i == 0) {
          return false;
        }
        Piece prev = pieces.get(i - 1);
        return !prev.placeholder()
            && Character.isWhitespace(prev.text().charAt(prev.text().length() - 1));
      }
    }
    return true;
  }

  /**
   * Renders the template.
   *
   * @param sentence the input sentence
   * @param prompt the prompt text (stripped before use)
   * @param maskToken the task model's literal mask token, or "" for a causal LM
   * @return the model input
   */
  public String render(String sentence, String prompt, String maskToken) {
    return String.join("", render(sentence, prompt.strip(), maskToken, false));
  }

  /**
   * Renders the template around the prompt, for a task model that reads the prompt's token ids
   * instead of its text: the text before the first {@code {prompt}}, between occurrences, and
   * after the last, so that the model input is {@code ids(pieces[0]) + promptIds +
   * ids(pieces[1]) + …}. The single space just before each {@code {prompt}} is left out: it
   * belongs to the prompt's first token (byte-level BPE spells it {@code Ġgreat}; WordPiece
   * ignores spaces between words), so for a prompt whose text tokenises to exactly its ids in
   * this position the ids give the same model input as {@link #render}.
   *
   * @param sentence the input sentence
   * @param maskToken the task model's literal mask token, or "" for a causal LM
   * @return {@code count(PROMPT) + 1} pieces of text
   */
  public List<String> renderAroundPrompt(String sentence, String maskToken) {
    return render(sentence, null, maskToken, true);
  }

  /**
   * One pass over the pieces. With {@code split}, each {@code {prompt}} ends a piece (minus one
   * trailing space) and the prompt itself, never empty there, is left out.
   */
  private List<String> render(String sentence, String prompt, String maskToken, boolean split) {
    List<String> parts = new ArrayList<>();
    StringBuilder out = new StringBuilder(source.length() + sentence.length() + 64);
    boolean skipLeadingSpace = false;
    for (Piece p : pieces) {
      if (!p.placeholder()) {
        String text = p.text();
        if (skipLeadingSpace && !text.isEmpty() && text.charAt(0) == ' ') {
          text = text.substring(1);
        }
        skipLeadingSpace = false;
        out.append(text);
        continue;
      }
      if (split && p.text().equals(PROMPT)) {
        int last = out.length() - 1;
        if (last >= 0 && out.charAt(last) == ' ') {
          out.setLength(last);
        }
        parts.add(out.toString());
        out.setLength(0);
        skipLeadingSpace = false;
        continue;
      }
      String value =
          switch (p.text()) {
            case SENTENCE -> sentence;
            case PROMPT -> prompt;
            default -> maskToken;
          };
      if (value.isEmpty()) {
        // Drop one space next to the empty value: prefer the one before it, else the one after.
        int last = out.length() - 1;
        if (last >= 0 && out.charAt(last) == ' ') {
          out.setLength(last);
        } else {
          skipLeadingSpace = true;
        }
      } else {
        skipLeadingSpace = false;
        out.append(value);
      }
    }
    parts.add(out.toString());
    return parts;
  }

  @Override
  public String toString() {
    return source;
  }
}
