/**
 * The episode loop of each run and the manager that drives active runs over the Policy, Reward
 * and Scorer services.
 */
package dev.pin.orchestrator.loop;
