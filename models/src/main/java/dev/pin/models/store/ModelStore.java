package dev.pin.models.store;

import dev.pin.kit.grpc.FieldErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The directory of model directories. Its home is, in order: the system property
 * {@code pin.models.home}, the environment variable {@code PIN_MODELS_HOME}, or
 * {@code ~/.cache/pin/models}.
 */
public final class ModelStore {
  public static final String HOME_PROPERTY = "pin.models.home";
  public static final String HOME_ENV = "PIN_MODELS_HOME";
  private static final Logger LOG = Logger.getLogger(ModelStore.class.getName());

  private final Path home;

  /** A store rooted at {@code home} (created lazily on import). */
  public ModelStore(Path home) {
    this.home = home.toAbsolutePath();
  }

  /** The store at the configured home. */
  public static ModelStore defaultStore() {
    return new ModelStore(defaultHome());
  }

  /** The configured home (see the class comment). */
  public static Path defaultHome() {
    String prop = System.getProperty(HOME_PROPERTY);
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop);
    }
    String env = System.getenv(HOME_ENV);
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "pin", "models");
  }

  /** The store's root directory. */
  public Path home() {
    return home;
  }

  /**
   * Where model {@code name} lives (whether or not it exists).
   *
   * @throws InvalidModelNameException for a name that is not one folder inside the store
   */
  public Path dir(String name) {
    String problem = nameProblem(name);
    if (problem != null) {
      throw new InvalidModelNameException(name, problem);
    }
    return home.resolve(name);
  }

  /**
   * Checks a model's name from a request: required, and one folder name ({@link #nameProblem}).
   *
   * @param errors where a problem is added under {@code field}
   */
  public static void checkName(FieldErrors errors, String field, String name) {
    if (name.isEmpty()) {
      errors.add(field, "is required");
      return;
    }
    String problem = nameProblem(name);
    if (problem != null) {
      errors.add(field, problem);
    }
  }

  /**
   * Why {@code name} cannot name a model in a store, or null when it can: a model is one folder
   * directly inside the store, so no separators, no leading dot (no {@code ..}, no hidden staging
   * folders), no control characters (a NUL is not even a valid path), at most 128 characters.
   */
  public static String nameProblem(String name) {
    if (name.isBlank()) {
      return "is empty";
    }
    if (name.length() > 128) {
      return "is longer than 128 characters";
    }
    if (name.contains("/") || name.contains("\\")) {
      return "must be a model's name in the store, not a path (no '/' or '\\')";
    }
    if (name.startsWith(".")) {
      return "must not start with '.'";
    }
    if (name.chars().anyMatch(Character::isISOControl)) {
      return "must not contain control characters";
    }
    return null;
  }

  /** Every complete model, sorted by name; broken directories are logged and skipped. */
  public List<ModelDir> list() throws IOException {
    List<ModelDir> out = new ArrayList<>();
    if (!Files.isDirectory(home)) {
      return out;
    }
    try (Stream<Path> dirs = Files.list(home)) {
      for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
        if (d.getFileName().toString().startsWith(".")) {
          continue; // staging directories of imports in progress
        }
        try {
          out.add(ModelDir.open(d));
        } catch (IOException e) {
          LOG.log(Level.WARNING, "skipping model directory {0}: {1}",
              new Object[] {d, e.getMessage()});
        }
      }
    }
    return out;
  }

  /** Model {@code name} when it is present and complete. */
  public Optional<ModelDir> find(String name) {
    Path d = dir(name);
    if (!Files.isRegularFile(d.resolve(ModelManifest.FILE_NAME))) {
      return Optional.empty();
    }
    try {
      return Optional.of(ModelDir.open(d));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Model {@code name}, or an exception that says what is missing and how to get it.
   *
   * @throws IOException when absent or incomplete
   */
  public ModelDir require(String name) throws IOException {
    Path d = dir(name);
    if (!Files.isDirectory(d)) {
      throw new IOException("model '" + name + "' is not in the model store " + home
          + " (set " + HOME_ENV + " to use another store, or import it: " + importHint(name)
          + ")");
    }
    return ModelDir.open(d);
  }

  /** The models {@code pin models import NAME} fetches by name (EasyBertImporter's variants). */
  public static final List<String> IMPORTABLE_BY_NAME =
      List.of("bert-base-uncased", "bert-base-cased");

  /**
   * The command that puts model {@code name} into a store: {@code pin models import NAME} for the
   * models fetched by name, else the conversion of a HuggingFace download, which is the only way
   * the others arrive (a bare {@code pin models import gpt2} is refused).
   */
  public static String importHint(String name) {
    if (IMPORTABLE_BY_NAME.contains(name)) {
      return "pin models import " + name;
    }
    return "pin models import " + name + " --from DIR, where DIR is a HuggingFace download of "
        + "the model (config.json, model.safetensors and the tokenizer files, e.g. from "
        + "huggingface-cli download " + name + " --local-dir DIR)";
  }
}
