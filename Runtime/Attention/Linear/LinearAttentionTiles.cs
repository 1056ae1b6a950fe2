using System.Numerics;
using System.Runtime.CompilerServices;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.Linear;

/// <summary>
/// The steps of the fused linear attention kernels, per (batch, head), over φ(Q), φ(K) and V' = [V, 1] (the column of
/// ones makes the normaliser φ(q)·Σφ(k) one more output column; a padded key's row of V' is zero, which removes it from
/// numerator and normaliser alike). Every product is <see cref="TileProduct"/>'s register-blocked one.
/// <list type="bullet">
/// <item>Bidirectional: S = φ(K)ᵀ V' (m × headDim+1), then O' = φ(Q) S: two small products.</item>
/// <item>Causal, chunk by chunk: O'_c = φ(Q_c) S + tril(φ(Q_c) φ(K_c)ᵀ) V'_c, then S += φ(K_c)ᵀ V'_c. Memory is
/// O(length × (m + headDim)) per head; no <c>[length × m × headDim]</c> tensor exists.</item>
/// <item>Backward, with G'_i = [dO_i / n_i, −dO_i·O_i / n_i] (n_i the normaliser): dφ(Q) = G' (V'ᵀ φ(K)) by a forward
/// sweep, dφ(K) = V' (G'ᵀ φ(Q)) and dV' = φ(K) (φ(Q)ᵀ G') by a backward sweep over the chunks, each with its masked
/// in-chunk product.</item>
/// </list>
/// </summary>
public static unsafe class LinearAttentionTiles<T, TVec, TOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVec : struct
    where TOps : ISimdOps<TVec, T>
{
    /// <summary>Runs the forward pass over every (batch, head) on <c>args.Threads</c> threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in LinearAttentionForwardArguments<T> args, LinearAttentionLayout layout, bool causal)
    {
        var a = args;
        KernelParallel.For(a.BatchHeads, a.Threads, () => new Scratch(layout, a.Length, backward: false), (bh, s) =>
        {
            Pack(a, layout, bh, s);
            if (causal)
                CausalForward(a, layout, bh, s);
            else
                BidirectionalForward(a, layout, bh, s);
        });
    }

    /// <summary>Runs the backward pass over every (batch, head) on <c>args.Forward.Threads</c> threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(in LinearAttentionBackwardArguments<T> args, LinearAttentionLayout layout, bool causal)
    {
        var g = args;
        var a = g.Forward;
        KernelParallel.For(a.BatchHeads, a.Threads, () => new Scratch(layout, a.Length, backward: true), (bh, s) =>
        {
            Pack(a, layout, bh, s);
            PackOutputGradient(g, layout, bh, s);
            if (causal)
                CausalBackward(g, layout, bh, s);
            else
                BidirectionalBackward(g, layout, bh, s);
        });
    }

    // φ(Q), φ(K) and V' of one head as padded rows; a padded key gets a zero row of V'.
    private static void Pack(in LinearAttentionForwardArguments<T> a, LinearAttentionLayout l, int bh, Scratch s)
    {
        int mp = l.PaddedFeatures, w = l.ValueWidth;
        for (int i = 0; i < a.Length; i++)
        {
            new ReadOnlySpan<T>(a.FeatureQuery.Row(bh, a.Heads, i), l.Features).CopyTo(new Span<T>(s.Query + (long)i * mp, l.Features));
            new ReadOnlySpan<T>(a.FeatureKey.Row(bh, a.Heads, i), l.Features).CopyTo(new Span<T>(s.Key + (long)i * mp, l.Features));
            var row = new Span<T>(s.Value + (long)i * w, l.HeadDim + 1);
            if (a.IsRealKey(bh, i))
            {
                new ReadOnlySpan<T>(a.Value.Row(bh, a.Heads, i), l.HeadDim).CopyTo(row);
                row[l.HeadDim] = T.One;
            }
            else
            {
                row.Clear();
            }
        }
    }

    private static void BidirectionalForward(in LinearAttentionForwardArguments<T> a, LinearAttentionLayout l, int bh, Scratch s)
    {
        int mp = l.PaddedFeatures, w = l.ValueWidth;
        // S = φ(K)ᵀ V'
        Multiply(mp, w, a.Length, s.Key, 1, mp, s.Value, w, s.State, w, false);
        for (int start = 0; start < a.Length; start += l.Chunk)
        {
            int n = Math.Min(l.Chunk, a.Length - start);
            // O'_c = φ(Q_c) S
            Multiply(n, w, mp, s.Query + (long)start * mp, mp, 1, s.State, w, s.Rows, w, false);
            WriteOutput(a, l, bh, start, n, s);
        }
    }

    private static void CausalForward(in LinearAttentionForwardArguments<T> a, LinearAttentionLayout l, int bh, Scratch s)
    {
        int mp = l.PaddedFeatures, w = l.ValueWidth, cp = l.PaddedChunk;
        new Span<T>(s.State, mp * w).Clear();
        for (int start = 0; start < a.Length; start += l.Chunk)
        {
            int n = Math.Min(l.Chunk, a.Length - start);
            T* q = s.Query + (long)start * mp, k = s.Key + (long)start * mp, v = s.Value + (long)start * w;
            // Earlier chunks, through the running state: O'_c = φ(Q_c) S.
            Multiply(n, w, mp, q, mp, 1, s.State, w, s.Rows, w, false);
            // This chunk: O'_c += tril(φ(Q_c) φ(K_c)ᵀ) V'_c.
            TileTranspose.Transpose(k, mp, n, l.Features, s.Transposed, cp, T.One);
            Multiply(n, cp, mp, q, mp, 1, s.Transposed, cp, s.Weights, cp, false);
            KeepLowerTriangle(s.Weights, cp, n);
            Multiply(n, w, n, s.Weights, cp, 1, v, w, s.Rows, w, true);
            // Then the chunk joins the state: S += φ(K_c)ᵀ V'_c.
            Multiply(mp, w, n, k, 1, mp, v, w, s.State, w, true);
            WriteOutput(a, l, bh, start, n, s);
        }
    }

    // out = O'[:headDim] / n with n = O'[headDim], or 1 where n is 0 (then O' is 0 too: the query attends nothing).
    private static void WriteOutput(in LinearAttentionForwardArguments<T> a, LinearAttentionLayout l, int bh, int start, int n, Scratch s)
    {
        int w = l.ValueWidth;
        for (int r = 0; r < n; r++)
        {
            T* row = s.Rows + (long)r * w;
            T normaliser = row[l.HeadDim] > T.Zero ? row[l.HeadDim] : T.One;
            a.Normaliser[(long)bh * a.Length + start + r] = normaliser;
            T inverse = T.One / normaliser;
            T* output = a.Output.Row(bh, a.Heads, start + r);
            for (int c = 0; c < l.HeadDim; c++)
                output[c] = row[c] * inverse;
        }
    }

    // G'_i = [dO_i / n_i, −(dO_i · O_i) / n_i]: the gradient with respect to row i of O' = [numerator, normaliser].
    private static void PackOutputGradient(in LinearAttentionBackwardArguments<T> g, LinearAttentionLayout l, int bh, Scratch s)
    {
        var a = g.Forward;
        int w = l.ValueWidth;
        for (int i = 0; i < a.Length; i++)
        {
            T inverse = T.One / a.Normaliser[(long)bh * a.Length + i];
            T* dO = g.OutputGradient.Row(bh, a.Heads, i), o = a.Output.Row(bh, a.Heads, i), row = s.Gradient + (long)i * w;
            T dot = T.Zero;
            for (int c = 0; c < l.HeadDim; c++)
            {
                row[c] = dO[c] * inverse;
                dot += dO[c] * o[c];
            }
            row[l.HeadDim] = -dot * inverse;
        }
    }

    private static void BidirectionalBackward(in LinearAttentionBackwardArguments<T> g, LinearAttentionLayout l, int bh, Scratch s)
    {
        var a = g.Forward;
        int mp = l.PaddedFeatures, w = l.ValueWidth, length = a.Length;
        // Sᵀ = V'ᵀ φ(K), R = φ(Q)ᵀ G' and Rᵀ.
        Multiply(w, mp, length, s.Value, 1, w, s.Key, mp, s.StateTransposed, mp, false);
        Multiply(mp, w, length, s.Query, 1, mp, s.Gradient, w, s.Reverse, w, false);
        Multiply(w, mp, length, s.Gradient, 1, w, s.Query, mp, s.ReverseTransposed, mp, false);
        for (int start = 0; start < length; start += l.Chunk)
        {
            int n = Math.Min(l.Chunk, length - start);
            // dφ(Q_c) = G'_c Sᵀ
            Multiply(n, mp, w, s.Gradient + (long)start * w, w, 1, s.StateTransposed, mp, s.QueryRows, mp, false);
            // dφ(K_c) = V'_c Rᵀ, dV'_c = φ(K_c) R
            Multiply(n, mp, w, s.Value + (long)start * w, w, 1, s.ReverseTransposed, mp, s.KeyRows, mp, false);
            Multiply(n, w, mp, s.Key + (long)start * mp, mp, 1, s.Reverse, w, s.Rows, w, false);
            WriteQueryGradient(g, l, bh, start, n, s);
            WriteKeyAndValueGradients(g, l, bh, start, n, s);
        }
    }

    private static void CausalBackward(in LinearAttentionBackwardArguments<T> g, LinearAttentionLayout l, int bh, Scratch s)
    {
        var a = g.Forward;
        int mp = l.PaddedFeatures, w = l.ValueWidth, cp = l.PaddedChunk, length = a.Length;
        // Forward sweep: dφ(Q_c) = G'_c Sᵀ(earlier chunks) + tril(G'_c V'_cᵀ) φ(K_c), then Sᵀ += V'_cᵀ φ(K_c).
        new Span<T>(s.StateTransposed, w * mp).Clear();
        for (int start = 0; start < length; start += l.Chunk)
        {
            int n = Math.Min(l.Chunk, length - start);
            T* k = s.Key + (long)start * mp, v = s.Value + (long)start * w, dO = s.Gradient + (long)start * w;
            Multiply(n, mp, w, dO, w, 1, s.StateTransposed, mp, s.QueryRows, mp, false);
            TileTranspose.Transpose(v, w, n, l.HeadDim + 1, s.Transposed, cp, T.One);
            Multiply(n, cp, w, dO, w, 1, s.Transposed, cp, s.Weights, cp, false);
            KeepLowerTriangle(s.Weights, cp, n);
            Multiply(n, mp, n, s.Weights, cp, 1, k, mp, s.QueryRows, mp, true);
            Multiply(w, mp, n, v, 1, w, k, mp, s.StateTransposed, mp, true);
            WriteQueryGradient(g, l, bh, start, n, s);
        }

        // Backward sweep, R = Σ over later chunks of φ(q_i) G'_iᵀ:
        // dφ(K_c) = V'_c Rᵀ + triu(V'_c G'_cᵀ) φ(Q_c), dV'_c = φ(K_c) R + triu(φ(K_c) φ(Q_c)ᵀ) G'_c, then R += φ(Q_c)ᵀ G'_c.
        new Span<T>(s.Reverse, mp * w).Clear();
        new Span<T>(s.ReverseTransposed, w * mp).Clear();
        int lastStart = (length - 1) / l.Chunk * l.Chunk;
        for (int start = lastStart; start >= 0; start -= l.Chunk)
        {
            int n = Math.Min(l.Chunk, length - start);
            T* q = s.Query + (long)start * mp, k = s.Key + (long)start * mp, v = s.Value + (long)start * w, dO = s.Gradient + (long)start * w;
            Multiply(n, mp, w, v, w, 1, s.ReverseTransposed, mp, s.KeyRows, mp, false);
            Multiply(n, w, mp, k, mp, 1, s.Reverse, w, s.Rows, w, false);
            TileTranspose.Transpose(dO, w, n, l.HeadDim + 1, s.Transposed, cp, T.One);
            Multiply(n, cp, w, v, w, 1, s.Transposed, cp, s.Weights, cp, false);
            KeepUpperTriangle(s.Weights, cp, n);
            Multiply(n, mp, n, s.Weights, cp, 1, q, mp, s.KeyRows, mp, true);
            TileTranspose.Transpose(q, mp, n, l.Features, s.Transposed, cp, T.One);
            Multiply(n, cp, mp, k, mp, 1, s.Transposed, cp, s.Weights, cp, false);
            KeepUpperTriangle(s.Weights, cp, n);
            Multiply(n, w, n, s.Weights, cp, 1, dO, w, s.Rows, w, true);
            Multiply(mp, w, n, q, 1, mp, dO, w, s.Reverse, w, true);
            Multiply(w, mp, n, dO, 1, w, q, mp, s.ReverseTransposed, mp, true);
            WriteKeyAndValueGradients(g, l, bh, start, n, s);
        }
    }

    private static void WriteQueryGradient(in LinearAttentionBackwardArguments<T> g, LinearAttentionLayout l, int bh, int start, int n, Scratch s)
    {
        for (int r = 0; r < n; r++)
            new ReadOnlySpan<T>(s.QueryRows + (long)r * l.PaddedFeatures, l.Features).CopyTo(new Span<T>(g.FeatureQueryGradient.Row(bh, g.Forward.Heads, start + r), l.Features));
    }

    // A padded key contributes nothing, so its value gradient is zero (its V' row is zero, which already zeroes dφ(K)).
    private static void WriteKeyAndValueGradients(in LinearAttentionBackwardArguments<T> g, LinearAttentionLayout l, int bh, int start, int n, Scratch s)
    {
        var a = g.Forward;
        for (int r = 0; r < n; r++)
        {
            new ReadOnlySpan<T>(s.KeyRows + (long)r * l.PaddedFeatures, l.Features).CopyTo(new Span<T>(g.FeatureKeyGradient.Row(bh, a.Heads, start + r), l.Features));
            var valueGradient = new Span<T>(g.ValueGradient.Row(bh, a.Heads, start + r), l.HeadDim);
            if (a.IsRealKey(bh, start + r))
                new ReadOnlySpan<T>(s.Rows + (long)r * l.ValueWidth, l.HeadDim).CopyTo(valueGradient);
            else
                valueGradient.Clear();
        }
    }

    // Causal within a chunk: row r keeps columns 0..r.
    private static void KeepLowerTriangle(T* block, int stride, int n)
    {
        for (int r = 0; r < n - 1; r++)
            new Span<T>(block + (long)r * stride + r + 1, n - r - 1).Clear();
    }

    // The transposed view: row r (a key) keeps columns r..n-1 (the queries that see it).
    private static void KeepUpperTriangle(T* block, int stride, int n)
    {
        for (int r = 1; r < n; r++)
            new Span<T>(block + (long)r * stride, r).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Multiply(int rows, int cols, int depth, T* a, nint aRowStride, nint aColStride, T* b, nint bRowStride, T* c, nint cRowStride, bool accumulate) =>
        TileProduct.Multiply<T, TVec, TOps>(rows, cols, depth, a, aRowStride, aColStride, b, bRowStride, c, cRowStride, accumulate);

    /// <summary>One worker's buffers: the packed head (length × (2·m + headDim + 1), padded) and the chunk-sized blocks.</summary>
    private sealed class Scratch : IDisposable
    {
        private readonly NativeBuffer<T> _memory;

        public Scratch(LinearAttentionLayout l, int length, bool backward)
        {
            long mp = l.PaddedFeatures, w = l.ValueWidth, cp = l.PaddedChunk;
            long big = Math.Max(mp, w);
            var sizes = new List<long>
            {
                length * mp, length * mp, length * w,        // Query, Key, Value
                mp * w, cp * w, big * cp, cp * cp,           // State, Rows, Transposed, Weights
            };
            if (backward)
                sizes.AddRange(new[] { length * w, w * mp, mp * w, w * mp, cp * mp, cp * mp });   // Gradient, StateTransposed, Reverse, ReverseTransposed, QueryRows, KeyRows
            _memory = new NativeBuffer<T>(sizes.Sum());
            T* p = _memory.Pointer;
            T* Take(int index) { T* at = p; p += sizes[index]; return at; }
            Query = Take(0); Key = Take(1); Value = Take(2);
            State = Take(3); Rows = Take(4); Transposed = Take(5); Weights = Take(6);
            if (backward)
            {
                Gradient = Take(7); StateTransposed = Take(8); Reverse = Take(9); ReverseTransposed = Take(10); QueryRows = Take(11); KeyRows = Take(12);
            }
        }

        public T* Query { get; }
        public T* Key { get; }
        public T* Value { get; }
        public T* State { get; }
        public T* Rows { get; }
        public T* Transposed { get; }
        public T* Weights { get; }
        public T* Gradient { get; }
        public T* StateTransposed { get; }
        public T* Reverse { get; }
        public T* ReverseTransposed { get; }
        public T* QueryRows { get; }
        public T* KeyRows { get; }

        public void Dispose() => _memory.Dispose();
    }
}
