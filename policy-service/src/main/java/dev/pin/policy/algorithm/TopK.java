package dev.pin.policy.algorithm;

/** k-th largest value of a float row by quickselect (expected O(n)), for top-k masks on the CPU. */
final class TopK {

  private TopK() {}

  /** The k-th largest of {@code values} among entries where {@code allowed} is true (or all). */
  static float kthLargest(float[] values, boolean[] allowed, int k) {
    int n = 0;
    float[] a = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      if (allowed == null || allowed[i]) {
        a[n++] = values[i];
      }
    }
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("k=" + k + " outside 1.." + n);
    }
    // Select index k−1 of the descending order.
    int lo = 0;
    int hi = n - 1;
    int target = k - 1;
    long pivotState = 0x2545F4914F6CDD1DL ^ n;
    while (lo < hi) {
      pivotState = pivotState * 6364136223846793005L + 1442695040888963407L;
      float pivot = a[lo + (int) Long.remainderUnsigned(pivotState >>> 17, hi - lo + 1)];
      int i = lo;
      int gt = lo;
      int lt = hi;
      // [lo, gt) > pivot, [gt, i) == pivot, (lt, hi] < pivot.
      while (i <= lt) {
        float x = a[i];
        if (x > pivot) {
          a[i] = a[gt];
          a[gt++] = x;
          i++;
        } else if (x < pivot) {
          a[i] = a[lt];
          a[lt--] = x;
        } else {
          i++;
        }
      }
      if (target < gt) {
        hi = gt - 1;
      } else if (target > lt) {
        lo = lt + 1;
      } else {
        return pivot;
      }
    }
    return a[lo];
  }
}
