package dev.pin.kit.config;

import java.time.Duration;

/**
 * How a service calls a peer. Read from {@code <caller>.<peer>.*} keys, e.g. {@code
 * orchestrator.reward.address}.
 *
 * @param peer the called service's short name
 * @param address {@code host:port}, {@code dns:///host:port} (round-robin over every address the
 *     name resolves to, for scaled-out replicas) or {@code in-process:NAME} (embedded mode)
 * @param unaryDeadline deadline of every unary call ({@code …deadline}, default 10m: long enough for a
 *     BERT-base reward batch on two CPU cores queued behind another run's, measured at over 2
 *     minutes for 8 prompts × 32 SST-2 sentences with two runs sharing one Reward service; short
 *     enough to notice a hung peer)
 * @param streamDeadline deadline of every streaming call ({@code …stream-deadline}, default 24h:
 *     streams live as long as a run)
 * @param maxMessageBytes largest inbound message ({@code …max-message-bytes}, default 64 MiB)
 * @param authToken bearer token sent with every call ({@code …auth-token}, default {@code
 *     auth.token}, i.e. {@code $PIN_AUTH_TOKEN}: the ensemble's; empty: none)
 * @param tls TLS of the channel ({@code tls.*}: on when this process has {@code tls.cert} or
 *     {@code tls.ca}; in-process channels never use it)
 */
public record ClientSettings(
    String peer,
    String address,
    Duration unaryDeadline,
    Duration streamDeadline,
    long maxMessageBytes,
    String authToken,
    TlsSettings tls) {

  /** Reads {@code <caller>.<peer>.*}; the default address is the peer's default port on localhost. */
  public static ClientSettings read(Config config, String caller, String peer) {
    String p = caller + "." + peer + ".";
    return new ClientSettings(
        peer,
        config.address(p + "address", "localhost:" + ServerSettings.defaultPort(peer)),
        config.duration(p + "deadline", Duration.ofMinutes(10)),
        config.duration(p + "stream-deadline", Duration.ofHours(24)),
        config.bytes(p + "max-message-bytes", 64L << 20, 1L << 20, 1L << 30),
        config.string(p + "auth-token", AuthSettings.ensembleToken(config)),
        TlsSettings.read(config));
  }

  /** The same settings pointing at another address (embedded mode's in-process channels). */
  public ClientSettings withAddress(String newAddress) {
    return new ClientSettings(peer, newAddress, unaryDeadline, streamDeadline, maxMessageBytes,
        authToken, tls);
  }

  /** Never prints the token. */
  @Override
  public String toString() {
    return "ClientSettings[peer=" + peer + ", address=" + address + ", unaryDeadline="
        + unaryDeadline + ", streamDeadline=" + streamDeadline + ", maxMessageBytes="
        + maxMessageBytes + ", authToken=" + (authToken.isEmpty() ? "(none)" : "(set)")
        + ", tls=" + (tls.clientEnabled() ? "on" : "off") + "]";
  }
}
