package dev.pin.kit.grpc;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's own folders (the model store, the checkpoint folder, the data folder), whose
 * absolute paths must not leave the server in a reply: a caller learns nothing of the server's
 * file system from an error. Each folder has a label that names it the way a caller can act on,
 * usually its setting ({@code <models.home>}); a path under it keeps its part below the folder
 * ({@code <models.home>/gpt2/model.onnx}), which is what the caller already knows (the model's
 * name). An empty label drops the folder altogether: a path under the data folder becomes the
 * relative path a run spec would spell.
 *
 * <p>Handlers name things by what the caller gave where they can; this is the last line, applied
 * to every status description a service sends ({@link ExceptionStatusInterceptor}) and to reply
 * fields that carry text from exceptions (a run's failure reason). Logs keep the full paths.
 */
public final class ServerPaths {
  /** No folders: every text passes unchanged. */
  public static final ServerPaths NONE = new ServerPaths(Map.of());

  /** One spelling of a folder and what replaces it. */
  private record Spelling(String text, String label) {}

  private final Map<Path, String> folders;
  private final List<Spelling> spellings;
  private final Pattern pattern;

  private ServerPaths(Map<Path, String> folders) {
    this.folders = Map.copyOf(folders);
    Map<String, String> all = new LinkedHashMap<>();
    for (Map.Entry<Path, String> f : folders.entrySet()) {
      for (String s : spellings(f.getKey())) {
        all.putIfAbsent(s, f.getValue());
      }
    }
    List<Spelling> list = new ArrayList<>();
    all.forEach((text, label) -> list.add(new Spelling(text, label)));
    // Longest first, so that a folder inside another is replaced by its own label.
    list.sort(Comparator.comparingInt((Spelling s) -> s.text().length()).reversed());
    this.spellings = List.copyOf(list);
    if (list.isEmpty()) {
      this.pattern = null;
    } else {
      StringBuilder alternatives = new StringBuilder();
      for (Spelling s : list) {
        alternatives.append(alternatives.length() == 0 ? "" : "|").append(Pattern.quote(s.text()));
      }
      // A folder's spelling, not followed by more of a file name ("/data" is not in "/database"),
      // then optionally the path below it.
      this.pattern = Pattern.compile("(" + alternatives + ")(?![\\w.\\-])(/[^\\s'\"`,;()<>\\[\\]]*)?");
    }
  }

  /**
   * The folders of {@code labels} (folder → label; null folders are skipped). The file-system
   * root and blank paths are never redacted (every path is under them).
   */
  public static ServerPaths of(Map<Path, String> labels) {
    Map<Path, String> kept = new LinkedHashMap<>();
    labels.forEach((folder, label) -> {
      if (folder != null) {
        Path p = folder.toAbsolutePath().normalize();
        if (p.getNameCount() > 0) {
          kept.put(p, label == null ? "" : label);
        }
      }
    });
    return kept.isEmpty() ? NONE : new ServerPaths(kept);
  }

  /** This and {@code other}'s folders together (this one's label wins for a folder in both). */
  public ServerPaths and(ServerPaths other) {
    Map<Path, String> merged = new LinkedHashMap<>(folders);
    other.folders.forEach(merged::putIfAbsent);
    return merged.isEmpty() ? NONE : new ServerPaths(merged);
  }

  /** How a folder can appear in a message: as given, resolved, and as {@code file:} URIs. */
  private static List<String> spellings(Path folder) {
    List<String> out = new ArrayList<>();
    addForms(out, folder);
    try {
      if (Files.exists(folder)) {
        Path real = folder.toRealPath();
        if (!real.equals(folder)) {
          addForms(out, real);
        }
      }
    } catch (IOException | SecurityException e) {
      // the given spelling still counts
    }
    return out;
  }

  private static void addForms(List<String> out, Path p) {
    String plain = p.toString();
    if (plain.length() > 1 && plain.endsWith("/")) {
      plain = plain.substring(0, plain.length() - 1);
    }
    out.add("file://" + p.toUri().getRawPath().replaceAll("/$", ""));
    out.add("file:" + plain);
    out.add(plain);
  }

  /** Whether this redacts nothing. */
  public boolean isEmpty() {
    return spellings.isEmpty();
  }

  /** {@code text} with every spelling of a folder replaced by its label (null stays null). */
  public String redact(String text) {
    if (text == null || pattern == null || text.isEmpty()) {
      return text;
    }
    Matcher m = pattern.matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder out = new StringBuilder();
    do {
      String label = labelOf(m.group(1));
      String below = m.group(2) == null ? "" : m.group(2);
      String replacement;
      if (label.isEmpty()) {
        replacement = below.length() > 1 ? below.substring(1) : ".";
      } else {
        replacement = label + (below.equals("/") ? "" : below);
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    } while (m.find());
    m.appendTail(out);
    return out.toString();
  }

  /** {@code status} with its description redacted. */
  public Status redact(Status status) {
    String d = status.getDescription();
    String r = redact(d);
    return r == null || r.equals(d) ? status : status.withDescription(r);
  }

  private String labelOf(String spelling) {
    for (Spelling s : spellings) {
      if (s.text().equals(spelling)) {
        return s.label();
      }
    }
    return "";
  }

  /** Whether {@code text} names one of the folders (for tests and assertions). */
  public boolean mentions(String text) {
    return text != null && pattern != null && pattern.matcher(text).find();
  }
}
