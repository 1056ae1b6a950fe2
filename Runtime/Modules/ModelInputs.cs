using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// The run-time checks every generated model makes on its inputs before computing anything, so a wrong input fails
/// with the shapes involved and the fix instead of an opaque libtorch error deep inside a layer.
/// </summary>
public static class ModelInputs
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="tokens"/> is a 2-D integer tensor
    /// <c>[batch, seq]</c> with 1 ≤ seq ≤ <paramref name="maxLength"/> and ids in [0, <paramref name="vocab"/>), and
    /// <paramref name="keyPaddingMask"/> (when given) is a bool tensor of the same shape.
    /// </summary>
    public static void Check(Tensor tokens, Tensor? keyPaddingMask, long vocab, long maxLength, string model)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.dim() != 2)
            throw new ArgumentException(
                $"{model}: tokens must be [batch, seq] token ids; got shape {Shape(tokens)}." +
                (tokens.dim() == 1 ? " For a single sequence use tokens.unsqueeze(0)." : " Reshape to [batch, seq]."),
                nameof(tokens));
        if (tokens.dtype != ScalarType.Int64 && tokens.dtype != ScalarType.Int32)
            throw new ArgumentException(
                $"{model}: tokens must hold integer token ids (int64 or int32); got {tokens.dtype} of shape {Shape(tokens)}. Convert with tokens.to(torch.int64).",
                nameof(tokens));
        long seq = tokens.size(1);
        if (seq < 1 || seq > maxLength)
            throw new ArgumentException(
                $"{model}: tokens has seq = {seq} (shape {Shape(tokens)}) but the model accepts 1 to MaxLength = {maxLength} tokens; split longer sequences into windows of at most {maxLength}.",
                nameof(tokens));
        if (tokens.numel() > 0)
        {
            long lowest, highest;
            using (var range = NewDisposeScope())
            {
                lowest = tokens.min().to(ScalarType.Int64).item<long>();
                highest = tokens.max().to(ScalarType.Int64).item<long>();
            }
            if (lowest < 0 || highest >= vocab)
                throw new ArgumentException(
                    $"{model}: token ids must lie in [0, {vocab}) (Vocab = {vocab}); tokens of shape {Shape(tokens)} hold values from {lowest} to {highest}.",
                    nameof(tokens));
        }
        if (keyPaddingMask is not null)
        {
            if (keyPaddingMask.dtype != ScalarType.Bool || !keyPaddingMask.shape.SequenceEqual(tokens.shape))
                throw new ArgumentException(
                    $"{model}: keyPaddingMask must be a bool tensor shaped like tokens, {Shape(tokens)} (true for real tokens, false for padding); got {keyPaddingMask.dtype} of shape {Shape(keyPaddingMask)}.",
                    nameof(keyPaddingMask));
            if (keyPaddingMask.device.type != tokens.device.type || keyPaddingMask.device.index != tokens.device.index)
                throw new ArgumentException(
                    $"{model}: keyPaddingMask is on {keyPaddingMask.device} but tokens are on {tokens.device}; move both to the same device.",
                    nameof(keyPaddingMask));
        }
    }

    /// <summary>
    /// Checks that an encoder–decoder's source and target are token-id tensors of one batch: <c>[batch, sourceSeq]</c> and
    /// <c>[batch, seq]</c>. Each is checked against its own vocabulary and length by its stack.
    /// </summary>
    /// <exception cref="ArgumentException">When either is not two-dimensional, or their batches differ.</exception>
    public static void CheckPair(Tensor source, Tensor target, string model)
    {
        if (source.dim() != 2 || target.dim() != 2 || source.shape[0] != target.shape[0])
            throw new ArgumentException(
                $"{model}: source and target must be token ids [batch, sourceSeq] and [batch, seq] of one batch, but source has shape {Shape(source)} and target {Shape(target)}; " +
                "pair each source with its target in the same row.");
    }

    /// <summary>Formats a shape as <c>[2, 8]</c>.</summary>
    public static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";
}
