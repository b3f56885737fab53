package dev.pin.orchestrator.spec;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Maps a YAML document onto a protobuf message through the message's descriptors: the same field
 * names as the proto (snake_case, lowerCamel JSON names also accepted), nested messages as
 * mappings, repeated fields as lists, map fields as mappings.
 *
 * <p>Written against descriptors rather than YAML → JSON → {@code JsonFormat} so that every problem
 * names its full field path ({@code spec.policy.soft_q.loss}) and all problems are collected, and
 * so enums can be written by their short names: {@code method: pin} for {@code METHOD_PIN}, {@code
 * loss: v2_v3_mixed} for {@code SQL_LOSS_V2_V3_MIXED}, case-insensitive, {@code -} for {@code _}.
 * YAML 1.1 reads a bare {@code on}/{@code off} as a boolean; for an enum field it is taken as the
 * value named {@code ON}/{@code OFF} ({@code z_score: on}). Durations are written {@code 90s},
 * {@code 30m}, {@code 2h}, {@code 1h30m} or as a number of seconds; timestamps in ISO 8601; bytes
 * as base64.
 */
public final class ProtoYaml {
  private static final Pattern DURATION =
      Pattern.compile("(?:(\\d+(?:\\.\\d+)?)h)?(?:(\\d+(?:\\.\\d+)?)m)?(?:(\\d+(?:\\.\\d+)?)s)?");

  private ProtoYaml() {}

  /**
   * Parses YAML text into a message.
   *
   * @param yaml the document (a mapping at the top)
   * @param prototype any instance of the target type, e.g. {@code RunSpec.getDefaultInstance()}
   * @param rootPath the name of the document in error messages, e.g. {@code spec}
   * @throws SpecException listing every problem with its field path
   */
  public static <T extends Message> T parse(String yaml, T prototype, String rootPath) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    Object doc;
    try {
      doc = new Yaml(new SafeConstructor(options)).load(yaml);
    } catch (YAMLException e) {
      throw new SpecException(List.of(rootPath + ": not valid YAML: " + e.getMessage()));
    }
    if (doc == null) {
      throw new SpecException(List.of(rootPath + ": the document is empty"));
    }
    return fromObject(doc, prototype, rootPath);
  }

  /**
   * Maps an already-loaded YAML tree (maps, lists, scalars) onto a message.
   *
   * @throws SpecException listing every problem with its field path
   */
  @SuppressWarnings("unchecked")
  public static <T extends Message> T fromObject(Object tree, T prototype, String rootPath) {
    List<String> errors = new ArrayList<>();
    Message.Builder b = prototype.newBuilderForType();
    if (tree instanceof Map<?, ?> map) {
      mergeMessage(map, b, rootPath, errors);
    } else {
      errors.add(rootPath + ": expected a mapping of field names to values, found " + kind(tree));
    }
    if (!errors.isEmpty()) {
      throw new SpecException(errors);
    }
    return (T) b.build();
  }

  private static void mergeMessage(
      Map<?, ?> map, Message.Builder b, String path, List<String> errors) {
    Descriptor d = b.getDescriptorForType();
    Map<OneofDescriptor, String> oneofSeen = new HashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        errors.add(path + ": field names must be strings, found " + kind(e.getKey()));
        continue;
      }
      String fieldPath = path + "." + key;
      FieldDescriptor f = findField(d, key);
      if (f == null) {
        String guess = closestField(d, key);
        errors.add(
            fieldPath
                + ": unknown field of "
                + d.getName()
                + (guess != null
                    ? "; did you mean " + guess + "?"
                    : "; known fields: "
                        + d.getFields().stream()
                            .map(FieldDescriptor::getName)
                            .collect(Collectors.joining(", "))));
        continue;
      }
      Object value = e.getValue();
      if (value == null) {
        continue; // `key:` with nothing after it leaves the field at its default
      }
      OneofDescriptor oneof = f.getRealContainingOneof();
      if (oneof != null) {
        String other = oneofSeen.putIfAbsent(oneof, f.getName());
        if (other != null) {
          errors.add(
              fieldPath
                  + ": only one of "
                  + oneofNames(oneof)
                  + " may be set; "
                  + other
                  + " is already set");
          continue;
        }
      }
      if (f.isMapField()) {
        mergeMapField(value, b, f, fieldPath, errors);
      } else if (f.isRepeated()) {
        if (!(value instanceof List<?> list)) {
          errors.add(fieldPath + ": expected a list, found " + kind(value));
          continue;
        }
        for (int i = 0; i < list.size(); i++) {
          Object v = convert(list.get(i), f, b, fieldPath + "[" + i + "]", errors);
          if (v != null) {
            b.addRepeatedField(f, v);
          }
        }
      } else {
        Object v = convert(value, f, b, fieldPath, errors);
        if (v != null) {
          b.setField(f, v);
        }
      }
    }
  }

  private static void mergeMapField(
      Object value, Message.Builder b, FieldDescriptor f, String path, List<String> errors) {
    if (!(value instanceof Map<?, ?> map)) {
      errors.add(path + ": expected a mapping, found " + kind(value));
      return;
    }
    FieldDescriptor keyField = f.getMessageType().findFieldByNumber(1);
    FieldDescriptor valueField = f.getMessageType().findFieldByNumber(2);
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String entryPath = path + "[" + e.getKey() + "]";
      Message.Builder entry = b.newBuilderForField(f);
      Object k = convert(e.getKey(), keyField, entry, entryPath, errors);
      Object v =
          e.getValue() == null ? null : convert(e.getValue(), valueField, entry, entryPath, errors);
      if (k != null) {
        entry.setField(keyField, k);
        if (v != null) {
          entry.setField(valueField, v);
        }
        b.addRepeatedField(f, entry.build());
      }
    }
  }

  /** The field whose name is within two edits of a misspelt key, if exactly one is closest. */
  private static String closestField(Descriptor d, String key) {
    String best = null;
    int bestDistance = 3;
    boolean tie = false;
    for (FieldDescriptor f : d.getFields()) {
      int dist = editDistance(key.toLowerCase(Locale.ROOT), f.getName());
      if (dist < bestDistance) {
        best = f.getName();
        bestDistance = dist;
        tie = false;
      } else if (dist == bestDistance) {
        tie = true;
      }
    }
    return tie ? null : best;
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static FieldDescriptor findField(Descriptor d, String key) {
    FieldDescriptor f = d.findFieldByName(key);
    if (f != null) {
      return f;
    }
    for (FieldDescriptor candidate : d.getFields()) {
      if (candidate.getJsonName().equals(key)) {
        return candidate;
      }
    }
    return null;
  }

  /** Converts one YAML value to the field's Java type, or records a problem and returns null. */
  private static Object convert(
      Object value, FieldDescriptor f, Message.Builder parent, String path, List<String> errors) {
    try {
      return switch (f.getJavaType()) {
        case INT -> {
          long v = integral(value);
          boolean unsigned =
              f.getType() == FieldDescriptor.Type.UINT32
                  || f.getType() == FieldDescriptor.Type.FIXED32;
          if (unsigned
              ? (v < 0 || v > 0xffffffffL)
              : (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("expected a 32-bit integer, got " + v);
          }
          yield (int) v;
        }
        case LONG -> integral(value);
        case FLOAT -> (float) decimal(value);
        case DOUBLE -> decimal(value);
        case BOOLEAN -> {
          if (value instanceof Boolean bool) {
            yield bool;
          }
          String s = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
          if (s.equals("true") || s.equals("false")) {
            yield Boolean.parseBoolean(s);
          }
          throw new IllegalArgumentException("expected true or false, found " + describe(value));
        }
        case STRING -> {
          if (value instanceof Map || value instanceof List) {
            throw new IllegalArgumentException("expected a string, found " + kind(value));
          }
          yield String.valueOf(value);
        }
        case BYTE_STRING -> {
          if (!(value instanceof String s)) {
            throw new IllegalArgumentException("expected base64 text, found " + kind(value));
          }
          yield ByteString.copyFrom(Base64.getMimeDecoder().decode(s));
        }
        case ENUM -> enumValue(value, f.getEnumType());
        case MESSAGE -> message(value, f, parent, path, errors);
      };
    } catch (IllegalArgumentException e) {
      errors.add(path + ": " + e.getMessage());
      return null;
    }
  }

  private static Message message(
      Object value, FieldDescriptor f, Message.Builder parent, String path, List<String> errors) {
    String fullName = f.getMessageType().getFullName();
    if (fullName.equals(Duration.getDescriptor().getFullName())) {
      return duration(value);
    }
    if (fullName.equals(Timestamp.getDescriptor().getFullName())) {
      return timestamp(value);
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          "expected a mapping (a " + f.getMessageType().getName() + "), found " + kind(value));
    }
    Message.Builder sub = parent.newBuilderForField(f);
    if (!f.isRepeated() && parent.hasField(f)) {
      sub.mergeFrom((Message) parent.getField(f));
    }
    mergeMessage(map, sub, path, errors);
    return sub.build();
  }

  private static long integral(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger big) {
      if (big.bitLength() < 64) {
        return big.longValue();
      }
      throw new IllegalArgumentException("integer " + big + " is too large");
    }
    if (value instanceof Double || value instanceof String) {
      try {
        BigDecimal d = new BigDecimal(String.valueOf(value).trim().replace("_", ""));
        return d.longValueExact();
      } catch (NumberFormatException | ArithmeticException e) {
        throw new IllegalArgumentException("expected an integer, found " + describe(value));
      }
    }
    throw new IllegalArgumentException("expected an integer, found " + describe(value));
  }

  private static double decimal(Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof String s) {
      try {
        return Double.parseDouble(s.trim().replace("_", ""));
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException("expected a number, found " + describe(value));
  }

  private static EnumValueDescriptor enumValue(Object value, EnumDescriptor type) {
    if (value instanceof Integer n) {
      EnumValueDescriptor v = type.findValueByNumber(n);
      if (v != null) {
        return v;
      }
    } else if (value instanceof Boolean || value instanceof String) {
      String s =
          value instanceof Boolean bool
              ? (bool ? "ON" : "OFF")
              : ((String) value)
                  .trim()
                  .toUpperCase(Locale.ROOT)
                  .replace('-', '_')
                  .replace(' ', '_');
      EnumValueDescriptor v = type.findValueByName(s);
      if (v == null) {
        v = type.findValueByName(enumPrefix(type) + s);
      }
      if (v != null) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "unknown " + type.getName() + " " + describe(value) + "; use one of " + enumChoices(type));
  }

  /** {@code ZScore} → {@code Z_SCORE_}: the prefix the proto style guide puts on enum values. */
  static String enumPrefix(EnumDescriptor type) {
    String n = type.getName();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n.length(); i++) {
      char c = n.charAt(i);
      if (i > 0 && Character.isUpperCase(c)) {
        boolean prevLower = !Character.isUpperCase(n.charAt(i - 1));
        boolean nextLower = i + 1 < n.length() && Character.isLowerCase(n.charAt(i + 1));
        if (prevLower || nextLower) {
          sb.append('_');
        }
      }
      sb.append(Character.toUpperCase(c));
    }
    return sb.append('_').toString();
  }

  /** The short names of an enum's values, e.g. {@code rlprompt, pin, pez}. */
  static String enumChoices(EnumDescriptor type) {
    String prefix = enumPrefix(type);
    return type.getValues().stream()
        .map(EnumValueDescriptor::getName)
        .filter(n -> !n.endsWith("_UNSPECIFIED"))
        .map(n -> n.startsWith(prefix) ? n.substring(prefix.length()) : n)
        .map(n -> n.toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
  }

  private static Duration duration(Object value) {
    double seconds;
    if (value instanceof Number n) {
      seconds = n.doubleValue();
    } else if (value instanceof String s && !s.isBlank()) {
      Matcher m = DURATION.matcher(s.trim().replace(" ", ""));
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "expected a duration like 90s, 30m, 2h or 1h30m, found " + describe(value));
      }
      seconds = 0;
      if (m.group(1) != null) {
        seconds += Double.parseDouble(m.group(1)) * 3600;
      }
      if (m.group(2) != null) {
        seconds += Double.parseDouble(m.group(2)) * 60;
      }
      if (m.group(3) != null) {
        seconds += Double.parseDouble(m.group(3));
      }
    } else {
      throw new IllegalArgumentException(
          "expected a duration like 90s, 30m, 2h or 1h30m, found " + describe(value));
    }
    if (seconds < 0 || Double.isNaN(seconds) || Double.isInfinite(seconds)) {
      throw new IllegalArgumentException("duration must be a finite number of seconds ≥ 0");
    }
    long whole = (long) Math.floor(seconds);
    int nanos = (int) Math.round((seconds - whole) * 1e9);
    return Duration.newBuilder().setSeconds(whole).setNanos(Math.min(nanos, 999_999_999)).build();
  }

  private static Timestamp timestamp(Object value) {
    Instant t;
    if (value instanceof java.util.Date date) {
      t = date.toInstant(); // YAML 1.1 reads ISO timestamps itself
    } else {
      try {
        t = Instant.parse(String.valueOf(value).trim());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "expected an ISO 8601 time like 2026-11-23T12:00:00Z, found " + describe(value));
      }
    }
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static String oneofNames(OneofDescriptor oneof) {
    return oneof.getFields().stream()
        .map(FieldDescriptor::getName)
        .collect(Collectors.joining(", "));
  }

  private static String describe(Object value) {
    return value instanceof String s ? "'" + s + "'" : kind(value) + " " + value;
  }

  private static String kind(Object value) {
    if (value instanceof Map) {
      return "a mapping";
    }
    if (value instanceof List) {
      return "a list";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof Number) {
      return "a number";
    }
    return value == null ? "nothing" : value.getClass().getSimpleName();
  }
}
