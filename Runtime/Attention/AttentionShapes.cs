using static TorchSharp.torch;

namespace XformerDsl.Attention;

/// <summary>Run-time checks shared by every attention entry point; messages name the shapes and the fix.</summary>
public static class AttentionShapes
{
    /// <summary>Throws <see cref="ArgumentException"/> unless q, k, v (and the mask) have compatible attention shapes.</summary>
    public static void Check(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, string caller)
    {
        if (query.dim() != 4 || key.dim() != 4 || value.dim() != 4)
            throw new ArgumentException(
                $"{caller}: query, key and value must be [batch, heads, seq, headDim]; got query {Shape(query)}, key {Shape(key)}, value {Shape(value)}.");
        if (query.shape[0] != key.shape[0] || query.shape[1] != key.shape[1] || query.shape[3] != key.shape[3])
            throw new ArgumentException(
                $"{caller}: query {Shape(query)} and key {Shape(key)} must agree in batch, heads and headDim.");
        if (!key.shape.Take(3).SequenceEqual(value.shape.Take(3)))
            throw new ArgumentException(
                $"{caller}: key {Shape(key)} and value {Shape(value)} must agree in batch, heads and seq.");
        if (query.dtype != key.dtype || key.dtype != value.dtype)
            throw new ArgumentException($"{caller}: query, key and value must share a dtype; got {query.dtype}, {key.dtype}, {value.dtype}.");
        if (keyPaddingMask is not null && (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != key.shape[0] || keyPaddingMask.shape[1] != key.shape[2]))
            throw new ArgumentException(
                $"{caller}: keyPaddingMask must be [batch, keys] = [{key.shape[0]}, {key.shape[2]}] (true where the key is a real token); got {Shape(keyPaddingMask)}.");
    }

    /// <summary>Formats a shape as <c>[2, 8, 128, 64]</c> for error messages.</summary>
    public static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";
}
