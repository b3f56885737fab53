package dev.pin.kit.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Layered configuration: built-in defaults, then a YAML file, then environment variables, then
 * command-line flags, each layer overriding the one before.
 *
 * <p>Keys are dotted and kebab-cased ({@code policy.port}, {@code orchestrator.call-deadline}). A
 * YAML file nests them ({@code policy: {port: 50051}}); the environment spells them {@code
 * PIN_POLICY_PORT} (dots and dashes become underscores); a flag is {@code --policy.port=50051}.
 * Every value remembers where it came from so that a validation error can say which file line,
 * variable or flag to fix. Keys that no reader asked for are reported by {@link
 * #requireAllConsumed()}, which catches typos such as {@code --polciy.port}.
 */
public final class Config {
  /** Environment variable naming the configuration file; the {@code --config} flag wins over it. */
  public static final String FILE_ENV = "PIN_CONFIG";

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kib|mib|gib|kb|mb|gb)?");

  private final Map<String, Value> values;
  private final Set<String> consumed = Collections.synchronizedSet(new TreeSet<>());

  private record Value(String text, String origin) {}

  private Config(Map<String, Value> values) {
    this.values = values;
  }

  /** An empty configuration: every reader gets its default. */
  public static Config empty() {
    return new Config(new LinkedHashMap<>());
  }

  /** A configuration from explicit key/values, as if they were flags (for tests and embedding). */
  public static Config of(Map<String, String> settings) {
    Map<String, Value> values = new LinkedHashMap<>();
    settings.forEach((k, v) -> values.put(normalise(k), new Value(v, "setting " + k)));
    return new Config(values);
  }

  /**
   * Loads the layers. {@code flags} are {@code --key=value} or {@code --key value} pairs already
   * separated from positional arguments; {@code --config FILE} among them names the file.
   */
  public static Config load(List<String> flags, Map<String, String> env) {
    Map<String, String> flagValues = new LinkedHashMap<>();
    for (int i = 0; i < flags.size(); i++) {
      String flag = flags.get(i);
      if (!flag.startsWith("--")) {
        throw new ConfigException(flag, "expected a flag of the form --key=value");
      }
      String body = flag.substring(2);
      int eq = body.indexOf('=');
      if (eq >= 0) {
        flagValues.put(body.substring(0, eq), body.substring(eq + 1));
      } else if (i + 1 < flags.size() && !flags.get(i + 1).startsWith("--")) {
        flagValues.put(body, flags.get(++i));
      } else {
        flagValues.put(body, "true");
      }
    }
    Map<String, Value> values = new LinkedHashMap<>();
    String file = flagValues.containsKey("config") ? flagValues.remove("config") : env.get(FILE_ENV);
    if (file != null && !file.isBlank()) {
      readYaml(Path.of(file), values);
    }
    Config config = new Config(values);
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (name.startsWith("PIN_") && !name.equals(FILE_ENV)) {
        values.put("env:" + name, new Value(e.getValue(), "environment variable " + name));
      }
    }
    flagValues.forEach((k, v) -> values.put(normalise(k), new Value(v, "flag --" + k)));
    return config;
  }

  private static void readYaml(Path file, Map<String, Value> values) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config", "configuration file " + file + " does not exist");
    }
    Object root;
    try (Reader reader = Files.newBufferedReader(file)) {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("config", "cannot read " + file + ": " + e.getMessage());
    }
    if (root == null) {
      return;
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new ConfigException("config", file + " must hold a mapping of settings");
    }
    flatten("", map, file.toString(), values);
  }

  private static void flatten(String prefix, Map<?, ?> map, String file, Map<String, Value> out) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + normalise(String.valueOf(e.getKey()));
      if (e.getValue() instanceof Map<?, ?> child) {
        flatten(key + ".", child, file, out);
      } else if (e.getValue() instanceof List<?> list) {
        List<String> parts = new ArrayList<>();
        list.forEach(item -> parts.add(String.valueOf(item)));
        out.put(key, new Value(String.join(",", parts), "file " + file));
      } else {
        out.put(key, new Value(String.valueOf(e.getValue()), "file " + file));
      }
    }
  }

  private static String normalise(String key) {
    return key.trim().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private Value lookup(String key) {
    consumed.add(key);
    Value flagOrFile = values.get(key);
    // The environment overrides the file but not flags.
    String envName = "PIN_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    Value env = values.get("env:" + envName);
    if (flagOrFile != null && flagOrFile.origin.startsWith("flag")) {
      return flagOrFile;
    }
    return env != null ? env : flagOrFile;
  }

  /**
   * Sets {@code key} unless a layer already sets it, as if it were a built-in default that a
   * process chose at start (e.g. a generated secret); {@code origin} says so in messages.
   */
  public void setIfUnset(String key, String value, String origin) {
    if (!has(key)) {
      values.put(normalise(key), new Value(value, origin));
    }
  }

  /** Whether the key was set in any layer. */
  public boolean has(String key) {
    return lookup(key) != null;
  }

  /** A string, or the default when unset. */
  public String string(String key, String defaultValue) {
    Value v = lookup(key);
    return v == null ? defaultValue : v.text.trim();
  }

  /** An integer within [min, max]. */
  public int integer(String key, int defaultValue, int min, int max) {
    Value v = lookup(key);
    if (v == null) {
      return defaultValue;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(v.text.trim());
    } catch (NumberFormatException e) {
      throw invalid(key, v, "an integer between " + min + " and " + max);
    }
    if (parsed < min || parsed > max) {
      throw invalid(key, v, "an integer between " + min + " and " + max);
    }
    return parsed;
  }

  /** A TCP port; 0 asks the system for a free one (tests). */
  public int port(String key, int defaultValue) {
    return integer(key, defaultValue, 0, 65535);
  }

  /** A boolean: true/false/yes/no/on/off. */
  public boolean bool(String key, boolean defaultValue) {
    Value v = lookup(key);
    if (v == null) {
      return defaultValue;
    }
    switch (v.text.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1":
        return true;
      case "false", "no", "off", "0":
        return false;
      default:
        throw invalid(key, v, "true or false");
    }
  }

  /** A positive duration such as {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h} or ISO-8601. */
  public Duration duration(String key, Duration defaultValue) {
    Value v = lookup(key);
    if (v == null) {
      return defaultValue;
    }
    String text = v.text.trim().toLowerCase(Locale.ROOT);
    Matcher m = DURATION.matcher(text);
    Duration parsed = null;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      parsed = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    } else {
      try {
        parsed = Duration.parse(v.text.trim().toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        parsed = null;
      }
    }
    if (parsed == null || parsed.isNegative() || parsed.isZero()) {
      throw invalid(key, v, "a positive duration such as 500ms, 30s, 5m or 2h");
    }
    return parsed;
  }

  /** A byte size such as {@code 64MiB}, {@code 512kb} or a plain number of bytes, within [min, max]. */
  public long bytes(String key, long defaultValue, long min, long max) {
    Value v = lookup(key);
    if (v == null) {
      return defaultValue;
    }
    Matcher m = SIZE.matcher(v.text.trim().toLowerCase(Locale.ROOT));
    String expected = "a size between " + min + " and " + max + " bytes, e.g. 64MiB";
    if (!m.matches()) {
      throw invalid(key, v, expected);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2);
    long scaled = switch (unit) {
      case "kib", "kb" -> n << 10;
      case "mib", "mb" -> n << 20;
      case "gib", "gb" -> n << 30;
      default -> n;
    };
    if (scaled < min || scaled > max) {
      throw invalid(key, v, expected);
    }
    return scaled;
  }

  /** A {@code host:port} address of a peer service. */
  public String address(String key, String defaultValue) {
    Value v = lookup(key);
    if (v == null) {
      return defaultValue;
    }
    String text = v.text.trim();
    int colon = text.lastIndexOf(':');
    boolean ok = colon > 0 && colon < text.length() - 1;
    if (ok) {
      try {
        int port = Integer.parseInt(text.substring(colon + 1));
        ok = port > 0 && port <= 65535;
      } catch (NumberFormatException e) {
        ok = false;
      }
    }
    if (!ok && !text.startsWith("dns:///") && !text.startsWith("in-process:")) {
      throw invalid(key, v, "host:port (e.g. localhost:50051), dns:///host:port or in-process:NAME");
    }
    return text;
  }

  /** One of the allowed words (case-insensitive), returned lowercased. */
  public String oneOf(String key, String defaultValue, List<String> allowed) {
    Value v = lookup(key);
    if (v == null) {
      return defaultValue;
    }
    String text = v.text.trim().toLowerCase(Locale.ROOT);
    if (!allowed.contains(text)) {
      throw invalid(key, v, "one of " + String.join(", ", allowed));
    }
    return text;
  }

  /** A path; {@code ~} expands to the user's home directory. */
  public Path path(String key, Path defaultValue) {
    Value v = lookup(key);
    if (v == null) {
      return defaultValue;
    }
    String text = v.text.trim();
    if (text.isEmpty()) {
      throw invalid(key, v, "a file system path");
    }
    if (text.equals("~") || text.startsWith("~/")) {
      text = System.getProperty("user.home") + text.substring(1);
    }
    return Path.of(text);
  }

  /** Top-level sections of the configuration: one per service, plus the shared model store. */
  public static final List<String> SECTIONS =
      List.of("orchestrator", "policy", "reward", "scorer", "models");

  /**
   * Fails on any file key or flag that no reader asked for, naming it and its origin, so that a
   * typo such as {@code --polciy.port} is an error rather than a silently ignored setting. Keys of
   * sections this process does not read (one configuration file serves every service) are left to
   * the processes that do. Environment variables are exempt: a shell holds many unrelated {@code
   * PIN_*} variables.
   */
  public void requireAllConsumed(List<String> ownSections) {
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, Value> e : values.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("env:") || consumed.contains(key)) {
        continue;
      }
      String section = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
      if (SECTIONS.contains(section) && !ownSections.contains(section)) {
        continue;
      }
      unknown.add(key + " (from " + e.getValue().origin + ")");
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException(
          unknown.get(0).split(" ")[0],
          "unknown setting" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
              + "; see the configuration reference in README.md");
    }
  }

  private static ConfigException invalid(String key, Value v, String expected) {
    return new ConfigException(
        key, "expected " + expected + ", got '" + v.text.trim() + "' (from " + v.origin + ")");
  }
}
