package dev.pin.kit.grpc;

import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.Optional;

/**
 * Who made the current call, as its bearer token says ({@link BearerToken#authenticate}). With
 * authentication off every caller is {@link #NONE}, an admin, so everything behaves as without
 * identities.
 *
 * @param name the identity ("" when authentication is off)
 * @param admin whether it may act on what other identities created
 */
public record Identity(String name, boolean admin) {
  /** Authentication off: no name, allowed everything. */
  public static final Identity NONE = new Identity("", true);

  static final Context.Key<Identity> KEY = Context.key("pin-identity");
  static final Context.Key<String> RUN_OWNER_KEY = Context.key("pin-run-owner");

  /**
   * Header by which a trusted caller (an admin: the orchestrator, with the ensemble's token) says
   * that a policy it creates or loads belongs to a run of this owner; from anyone else it is
   * ignored. The policy service records that owner, so the run's creator may act on its policy,
   * and counts the policy as a run's, never as an anonymous one.
   */
  public static final Metadata.Key<String> RUN_OWNER =
      Metadata.Key.of("pin-run-owner", Metadata.ASCII_STRING_MARSHALLER);

  /** The caller of the current call ({@link #NONE} outside a call or with authentication off). */
  public static Identity current() {
    Identity identity = KEY.get();
    return identity == null ? NONE : identity;
  }

  /**
   * The run owner a trusted caller named with {@link #RUN_OWNER} on the current call; empty when
   * it sent none or is not trusted to.
   */
  public static Optional<String> runOwner() {
    return Optional.ofNullable(RUN_OWNER_KEY.get());
  }

  /** Sends {@link #RUN_OWNER} with every call of a stub ({@code stub.withInterceptors(…)}). */
  public static ClientInterceptor actingForRunOf(String owner) {
    Metadata headers = new Metadata();
    headers.put(RUN_OWNER, owner);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  /**
   * Whether this caller may act on something {@code owner} created: an admin always; anyone else
   * only on its own. Something created while authentication was off has owner "" and is the
   * admins' alone once it is on.
   */
  public boolean mayAccess(String owner) {
    return admin || !owner.isEmpty() && owner.equals(name);
  }

  /**
   * PERMISSION_DENIED for {@code what} (e.g. "run run-20250101-0001"): it exists but belongs to
   * another identity. Whose it is stays unsaid.
   */
  public StatusRuntimeException denied(String what, String action) {
    return Status.PERMISSION_DENIED.withDescription(what + " belongs to another identity; only "
        + "the identity that created it or an admin token may " + action + " it (this call's "
        + "token is '" + name + "')").asRuntimeException();
  }

  /** Throws {@link #denied} unless {@link #mayAccess}. */
  public void requireAccess(String owner, String what, String action) {
    if (!mayAccess(owner)) {
      throw denied(what, action);
    }
  }
}
