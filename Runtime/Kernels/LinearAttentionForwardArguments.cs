using System.Numerics;

namespace XformerDsl.Kernels;

/// <summary>
/// What a fused linear attention kernel's forward pass reads and writes: the features φ(Q), φ(K) (computed outside the
/// kernel, so TorchSharp autograd differentiates the feature map), the values, and where the output and each query's
/// normaliser go. Queries and keys are the same positions (self-attention).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly unsafe struct LinearAttentionForwardArguments<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Batch size.</summary>
    public required int Batch { get; init; }

    /// <summary>Heads per batch element.</summary>
    public required int Heads { get; init; }

    /// <summary>Positions per (batch, head): queries and keys alike.</summary>
    public required int Length { get; init; }

    /// <summary>φ(Q), <c>[batch, heads, length, features]</c>, non-negative.</summary>
    public required HeadRows<T> FeatureQuery { get; init; }

    /// <summary>φ(K), <c>[batch, heads, length, features]</c>, non-negative.</summary>
    public required HeadRows<T> FeatureKey { get; init; }

    /// <summary>Values, <c>[batch, heads, length, headDim]</c>.</summary>
    public required HeadRows<T> Value { get; init; }

    /// <summary>Where the attended values go, <c>[batch, heads, length, headDim]</c>.</summary>
    public required HeadRows<T> Output { get; init; }

    /// <summary>
    /// Where each query's normaliser φ(q)·Σφ(k) goes, <c>[batch · heads, length]</c> densely; 1 for a query whose
    /// normaliser is 0 (it attends nothing, its output is 0). The backward pass divides by it.
    /// </summary>
    public required T* Normaliser { get; init; }

    /// <summary>Null, or bool bytes <c>[batch, length]</c>: nonzero where the key is a real token.</summary>
    public required byte* KeyMask { get; init; }

    /// <summary>Threads to run on.</summary>
    public required int Threads { get; init; }

    /// <summary>Batch · heads: the number of independent attention problems.</summary>
    public int BatchHeads => Batch * Heads;

    /// <summary>True when key <paramref name="position"/> of (batch, head) <paramref name="batchHead"/> is a real token.</summary>
    public bool IsRealKey(int batchHead, int position) => KeyMask == null || KeyMask[(long)(batchHead / Heads) * Length + position] != 0;
}
