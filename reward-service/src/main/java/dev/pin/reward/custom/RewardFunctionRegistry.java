package dev.pin.reward.custom;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Reward functions by name: those found through {@link ServiceLoader} (the built-ins are listed
 * that way too) and those registered explicitly. Thread-safe.
 */
public final class RewardFunctionRegistry {

  private static final Logger logger = Logger.getLogger(RewardFunctionRegistry.class.getName());
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");

  private final Map<String, RewardFunction> functions = new ConcurrentHashMap<>();

  /** An empty registry; see {@link #discover()} for the usual one. */
  public RewardFunctionRegistry() {}

  /**
   * A registry holding every function on the classpath's ServiceLoader list, built-ins included. A
   * provider that fails to load is logged and skipped; of two with the same name the first found
   * wins.
   *
   * @return the registry
   */
  public static RewardFunctionRegistry discover() {
    RewardFunctionRegistry registry = new RewardFunctionRegistry();
    ServiceLoader<RewardFunction> loader =
        ServiceLoader.load(RewardFunction.class, RewardFunctionRegistry.class.getClassLoader());
    var it = loader.iterator();
    while (true) {
      RewardFunction f;
      try {
        if (!it.hasNext()) {
          break;
        }
        f = it.next();
      } catch (ServiceConfigurationError e) {
        logger.log(Level.WARNING, "skipping a reward function that failed to load", e);
        continue;
      }
      if (registry.functions.containsKey(f.name())) {
        logger.warning("reward function '" + f.name() + "' found twice; keeping the first");
        continue;
      }
      registry.register(f);
    }
    return registry;
  }

  /**
   * Adds a function.
   *
   * @param function the function
   * @throws IllegalArgumentException for a malformed name or one already taken
   */
  public void register(RewardFunction function) {
    String name = function.name();
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "reward function name '" + name + "' must match " + NAME.pattern());
    }
    if (functions.putIfAbsent(name, function) != null) {
      throw new IllegalArgumentException(
          "a reward function named '" + name + "' is already registered");
    }
  }

  /**
   * Looks a function up.
   *
   * @param name its name
   * @return the function, or empty
   */
  public Optional<RewardFunction> get(String name) {
    return Optional.ofNullable(functions.get(name));
  }

  /**
   * The registered names, sorted (for error messages and DescribeTask).
   *
   * @return the names
   */
  public List<String> names() {
    return List.copyOf(new TreeMap<>(functions).keySet());
  }
}
