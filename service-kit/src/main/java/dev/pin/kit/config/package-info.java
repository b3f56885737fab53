/**
 * Layered configuration (defaults, YAML file, {@code PIN_*} environment, {@code --key=value}
 * flags) and the typed settings every service reads from it; errors name the offending key and
 * where its value came from.
 */
package dev.pin.kit.config;
