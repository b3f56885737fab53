/**
 * Custom rewards: {@link dev.pin.reward.custom.RewardFunction} is the plug-in point for rewards the
 * seed papers do not define (a {@code CustomTask} names one and passes its parameters). Functions
 * are found with {@link java.util.ServiceLoader} (list the class in {@code
 * META-INF/services/dev.pin.reward.custom.RewardFunction} of a jar on the classpath) or registered
 * explicitly; two are built in: {@code keyword} and {@code regex}.
 */
package dev.pin.reward.custom;
