package dev.pin.reward.task;

/**
 * A task names a model the model store does not hold; the gRPC layer maps it to FAILED_PRECONDITION
 * (the request is well-formed, the server is not set up for it).
 */
public final class ModelNotFoundException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final String model;

  /**
   * Creates the exception.
   *
   * @param path the field naming the model, e.g. {@code task.classification.task_model}
   * @param model the model name
   * @param what what the model is needed as, e.g. "a masked or causal language model"
   */
  public ModelNotFoundException(String path, String model, String what) {
    this(
        path,
        model,
        path
            + ": model '"
            + model
            + "' is not in the reward service's model store (needed as "
            + what
            + "); import it ("
            + dev.pin.models.store.ModelStore.importHint(model)
            + ") or name another model",
        false);
  }

  /** The {@code unused} flag only tells this constructor apart from the public one. */
  private ModelNotFoundException(String path, String model, String message, boolean unused) {
    super(message);
    this.path = path;
    this.model = model;
  }

  /**
   * The model is in the store but cannot serve the role the field gives it (e.g. a masked LM
   * named as a style classifier).
   *
   * @param path the field naming the model
   * @param model the model name
   * @param what the role, e.g. "a sequence classifier (bert-cls, roberta-cls)"
   * @return the exception
   */
  public static ModelNotFoundException wrongKind(String path, String model, String what) {
    return new ModelNotFoundException(
        path,
        model,
        path
            + ": model '"
            + model
            + "' is in the model store but is not "
            + what
            + " (see `pin models list` for each model's architecture); name another model",
        false);
  }

  /**
   * The field naming the model.
   *
   * @return the field path
   */
  public String path() {
    return path;
  }

  /**
   * The missing model.
   *
   * @return its name
   */
  public String model() {
    return model;
  }
}
