package dev.pin.kit.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may call a service: the bearer tokens it accepts, each with the identity it stands for, and
 * which standard services stay open without one. No token configured: authentication is off and
 * every call is served, as on a laptop.
 *
 * <p>Two sources, usable together: the ensemble's shared token ({@code <service>.auth-token},
 * else {@code auth.token}, i.e. {@code $PIN_AUTH_TOKEN}), which the services send each other and
 * which stands for the admin identity {@value #ENSEMBLE}; and a tokens file ({@code
 * auth.tokens-file}, {@code $PIN_AUTH_TOKENS_FILE}) with one {@code IDENTITY TOKEN [admin]} per
 * line, {@code #} for comments. A run, a policy and its checkpoints belong to the identity that
 * created them; only it or an admin may act on them.
 *
 * @param tokens the accepted tokens (empty: authentication off)
 * @param open the standard services callable without a token ({@code auth.open}, default {@code
 *     health,reflection}: probes and {@code grpcurl list} need none; {@code none} closes both)
 */
public record AuthSettings(List<Token> tokens, Set<String> open) {
  /** The identity of the ensemble's shared token: the services themselves, an admin. */
  public static final String ENSEMBLE = "ensemble";

  /** Authentication off. */
  public static final AuthSettings OFF = new AuthSettings(List.of(), Set.of("health", "reflection"));

  private static final Pattern IDENTITY = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

  /**
   * One accepted token. {@link #toString} never shows the secret.
   *
   * @param identity who presents it (recorded as the owner of what it creates)
   * @param admin whether it may act on everyone's runs and policies
   * @param secret the token itself
   */
  public record Token(String identity, boolean admin, String secret) {
    @Override
    public String toString() {
      return identity + (admin ? " (admin)" : "");
    }
  }

  /** Reads the tokens and {@code auth.open} for {@code service}. */
  public static AuthSettings read(Config config, String service) {
    List<Token> tokens = new ArrayList<>();
    String shared = config.string(service + ".auth-token", ensembleToken(config));
    if (!shared.isEmpty()) {
      tokens.add(new Token(ENSEMBLE, true, shared));
    }
    if (config.has("auth.tokens-file")) {
      tokens.addAll(readFile(config.path("auth.tokens-file", null)));
    }
    Set<String> open = new LinkedHashSet<>();
    String openText = config.string("auth.open", "health,reflection").toLowerCase(Locale.ROOT);
    for (String part : openText.split("[,\\s]+")) {
      if (part.isEmpty() || part.equals("none")) {
        continue;
      }
      if (!part.equals("health") && !part.equals("reflection")) {
        throw new ConfigException("auth.open", "expected a list of health and reflection, or "
            + "none, got '" + openText + "'");
      }
      open.add(part);
    }
    return new AuthSettings(List.copyOf(tokens), Set.copyOf(open));
  }

  /**
   * The ensemble's token: {@code auth.token} ({@code $PIN_AUTH_TOKEN}), else the first line of
   * the file {@code auth.token-file} names ({@code $PIN_AUTH_TOKEN_FILE}, e.g. a mounted Docker or
   * Kubernetes secret), else "".
   */
  public static String ensembleToken(Config config) {
    String token = config.string("auth.token", "");
    if (!token.isEmpty() || !config.has("auth.token-file")) {
      return token;
    }
    Path file = config.path("auth.token-file", null);
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      int newline = text.indexOf('\n');
      token = (newline < 0 ? text : text.substring(0, newline)).strip();
    } catch (IOException e) {
      throw new ConfigException("auth.token-file", "cannot read " + file + ": " + e);
    }
    if (token.isEmpty()) {
      throw new ConfigException("auth.token-file", file + " is empty; expected the token");
    }
    return token;
  }

  /** Parses a tokens file; errors name the line, never the token. */
  static List<Token> readFile(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("auth.tokens-file", "cannot read " + file + ": " + e);
    }
    List<Token> tokens = new ArrayList<>();
    Set<String> secrets = new LinkedHashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      String where = file + " line " + (i + 1);
      if (parts.length < 2 || parts.length > 3
          || parts.length == 3 && !parts[2].equalsIgnoreCase("admin")) {
        throw new ConfigException("auth.tokens-file", where
            + ": expected IDENTITY TOKEN [admin], e.g. 'alice 3f9a…c1 admin'");
      }
      if (!IDENTITY.matcher(parts[0]).matches()) {
        throw new ConfigException("auth.tokens-file", where + ": the identity must be 1 to 64 "
            + "letters, digits or . _ @ -");
      }
      if (parts[1].length() < 16) {
        throw new ConfigException("auth.tokens-file", where + ": the token of " + parts[0]
            + " is shorter than 16 characters; use a random one (openssl rand -hex 32)");
      }
      if (!secrets.add(parts[1])) {
        throw new ConfigException("auth.tokens-file", where + ": the token of " + parts[0]
            + " is already another identity's; each identity needs its own");
      }
      tokens.add(new Token(parts[0], parts.length == 3, parts[1]));
    }
    if (tokens.isEmpty()) {
      throw new ConfigException("auth.tokens-file", file + " holds no token: expected lines of "
          + "IDENTITY TOKEN [admin]");
    }
    return tokens;
  }

  /** Whether calls must carry a token. */
  public boolean enabled() {
    return !tokens.isEmpty();
  }

  /** Whether the standard service ({@code health} or {@code reflection}) needs no token. */
  public boolean isOpen(String standardService) {
    return !enabled() || open.contains(standardService);
  }

  /** The shared token, or "" (what peers send when their own setting is unset). */
  public String ensembleToken() {
    return tokens.stream().filter(t -> t.identity().equals(ENSEMBLE)).map(Token::secret)
        .findFirst().orElse("");
  }

  /** Names identities, never tokens. */
  @Override
  public String toString() {
    return enabled() ? "AuthSettings[identities=" + tokens + ", open=" + open + "]"
        : "AuthSettings[off]";
  }
}
