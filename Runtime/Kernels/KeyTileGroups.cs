namespace XformerDsl.Kernels;

/// <summary>How many groups to split each (batch, head)'s key tiles into, so every thread has work.</summary>
public static class KeyTileGroups
{
    /// <summary>
    /// One group per (batch, head) when there are at least twice as many (batch, head) pairs as threads; otherwise
    /// enough groups for about two tasks per thread, but never more groups than key tiles.
    /// </summary>
    public static int For(int batchHeads, int keyTiles, int threads) =>
        Math.Clamp((2 * threads + batchHeads - 1) / batchHeads, 1, Math.Max(1, keyTiles));
}
