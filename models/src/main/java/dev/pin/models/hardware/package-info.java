/**
 * What the machine offers: {@link dev.pin.models.hardware.CpuFeatures} reads the CPU's
 * instruction-set flags so that model variants (int8 with VNNI, fp32 elsewhere) are chosen at
 * start-up from what the CPU runs fast and correctly.
 */
package dev.pin.models.hardware;
