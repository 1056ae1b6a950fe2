using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace XformerDsl.Attention.LongShortRange;

/// <summary>
/// The convolution branch of Lite Transformer's Long-Short Range Attention (Wu et al., ICLR 2020), composed from plain
/// TorchSharp ops: lightweight and dynamic convolution (Wu et al., ICLR 2019) in the batch-first layout
/// <c>[batch, seq, channels]</c>. The oracle the fused kernels are tested against, and the path for devices and dtypes
/// they do not serve (any device, float32 or float64 and whatever else TorchSharp's ops take).
/// </summary>
/// <remarks>
/// <para>
/// The channels are split into H kernel heads of R = channels / H contiguous channels: channel c uses head c / R (as
/// fairseq's <c>LightweightConv1dTBC</c> and <c>DynamicConv1dTBC</c>, which the models use; fairseq's explanatory
/// <c>LightweightConv1d</c> interleaves them instead). Output t reads inputs t − P … t − P + K − 1, zero outside the
/// sequence, with P from <see cref="ConvolutionPadding.Left(int, bool)"/>.
/// </para>
/// <para>
/// The weights arrive final: softmax-normalised over the taps and DropConnect applied, by
/// <see cref="SoftmaxDropConnect"/> or the caller. Normalising over all K taps before the convolution means a sequence
/// shorter than K sees the same weights as a long one, with zeros past its ends; fairseq's unfolded path instead narrows
/// the causal kernel to the sequence length before its softmax, so a short training sequence and step-by-step decoding
/// disagree there. Padding tokens must be zeroed before the convolution (<see cref="ZeroPadding"/>), or their values leak
/// into their real neighbours' outputs.
/// </para>
/// </remarks>
public static class ConvolutionReference
{
    /// <summary>
    /// Lightweight convolution: <c>y[b, t, c] = Σ_k w[c / R, k] · x[b, t + k − P, c] (+ bias[c])</c>, one kernel per head
    /// shared by every position, as a depthwise (grouped) <c>conv1d</c>.
    /// </summary>
    /// <param name="input">x, <c>[batch, seq, channels]</c>.</param>
    /// <param name="weight">w, <c>[heads, kernelSize]</c>, already normalised (and dropped).</param>
    /// <param name="causal">Causal (P = K − 1) or centred (P = (K − 1) / 2, K odd).</param>
    /// <param name="bias">Null, or <c>[channels]</c>.</param>
    /// <returns><c>[batch, seq, channels]</c>.</returns>
    public static Tensor Lightweight(Tensor input, Tensor weight, bool causal, Tensor? bias = null)
    {
        ConvolutionShapes.CheckLightweight(input, weight, bias, 0, nameof(Lightweight));
        int kernelSize = (int)weight.shape[1], padding = ConvolutionPadding.Left(kernelSize, causal);
        long channels = input.shape[2], perHead = channels / weight.shape[0];
        using var scope = NewDisposeScope();
        var channelsFirst = input.transpose(1, 2);                                            // [batch, channels, seq]
        var padded = F.pad(channelsFirst, [padding, kernelSize - 1 - padding]);              // [batch, channels, seq + K − 1]
        var perChannel = weight.repeat_interleave(perHead, dim: 0).unsqueeze(1);             // [channels, 1, K]: head c / R
        var output = F.conv1d(padded, perChannel, bias, groups: channels);                   // [batch, channels, seq]
        return output.transpose(1, 2).contiguous().MoveToOuterDisposeScope();                // [batch, seq, channels]
    }

    /// <summary>
    /// Dynamic convolution: <c>y[b, t, c] = Σ_k w[b, t, c / R, k] · x[b, t + k − P, c]</c>, a kernel per position and
    /// head, from the input windows unfolded to <c>[batch, seq, channels, K]</c> (memory K times the input's).
    /// </summary>
    /// <param name="input">x, <c>[batch, seq, channels]</c>.</param>
    /// <param name="weights">w, <c>[batch, seq, heads, kernelSize]</c>, already normalised (and dropped).</param>
    /// <param name="causal">Causal (P = K − 1) or centred (P = (K − 1) / 2, K odd).</param>
    /// <returns><c>[batch, seq, channels]</c>.</returns>
    public static Tensor Dynamic(Tensor input, Tensor weights, bool causal)
    {
        ConvolutionShapes.CheckDynamic(input, weights, 0, nameof(Dynamic));
        int kernelSize = (int)weights.shape[3], padding = ConvolutionPadding.Left(kernelSize, causal);
        long batch = input.shape[0], seq = input.shape[1], channels = input.shape[2], heads = weights.shape[2];
        using var scope = NewDisposeScope();
        var padded = F.pad(input, [0, 0, padding, kernelSize - 1 - padding]);               // [batch, seq + K − 1, channels]
        var windows = padded.unfold(1, kernelSize, 1)                                         // [batch, seq, channels, K]
            .reshape(batch, seq, heads, channels / heads, kernelSize);                        // [batch, seq, heads, R, K]
        var output = windows.matmul(weights.unsqueeze(-1));                                   // [batch, seq, heads, R, 1]
        return output.reshape(batch, seq, channels).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The final convolution weights from logits: softmax over the taps (the last dimension), then DropConnect, dropout
    /// of individual normalised weights with probability <paramref name="dropConnect"/> (survivors scaled by
    /// 1 / (1 − p)), in training only. Works on <c>[heads, K]</c> lightweight and <c>[batch, seq, heads, K]</c> dynamic
    /// logits alike.
    /// </summary>
    /// <remarks>
    /// fairseq draws the lightweight convolution's DropConnect mask per position (it expands the <c>[heads, K]</c> weight
    /// to every position first). To train exactly so, expand the normalised weight to <c>[batch, seq, heads, K]</c>, call
    /// this with it, and run the dynamic convolution; a <c>[heads, K]</c> weight drops the same taps at every position.
    /// </remarks>
    public static Tensor SoftmaxDropConnect(Tensor logits, double dropConnect, bool training)
    {
        if (dropConnect is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(dropConnect), dropConnect, "DropConnect is a probability in [0, 1).");
        var normalised = logits.softmax(-1);
        if (!training || dropConnect == 0)
            return normalised;
        using (normalised)
            return F.dropout(normalised, dropConnect, training: true);
    }

    /// <summary>
    /// The input with the padding tokens' channels set to zero (false in <paramref name="keyPaddingMask"/>), so that a
    /// convolution over them adds nothing to their real neighbours; null keeps the input. Call it before the convolution,
    /// fused or reference; the kernels themselves read every position.
    /// </summary>
    /// <param name="input"><c>[batch, seq, channels]</c>.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, seq]</c>, true where the token is real.</param>
    public static Tensor ZeroPadding(Tensor input, Tensor? keyPaddingMask)
    {
        if (keyPaddingMask is null)
            return input.alias();
        if (input.dim() != 3 || keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != input.shape[0] || keyPaddingMask.shape[1] != input.shape[1])
            throw new ArgumentException(
                $"{nameof(ZeroPadding)}: keyPaddingMask must be [batch, seq] = [{(input.dim() > 0 ? input.shape[0] : 0)}, {(input.dim() > 1 ? input.shape[1] : 0)}] for input {ConvolutionShapes.Shape(input)} (true where the token is real); got {ConvolutionShapes.Shape(keyPaddingMask)}.");
        using var real = keyPaddingMask.to(ScalarType.Bool).unsqueeze(-1);
        using var zero = zeros(1, dtype: input.dtype, device: input.device);
        return where(real, input, zero);
    }
}
