using static TorchSharp.torch;

namespace XformerDsl.Attention.LongShortRange;

/// <summary>Run-time checks shared by every convolution entry point; messages name the shapes and the fix.</summary>
public static class ConvolutionShapes
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="input"/> is <c>[batch, seq, channels]</c>,
    /// <paramref name="weight"/> is <c>[heads, kernelSize]</c> with heads dividing channels, and <paramref name="bias"/> (if
    /// any) is <c>[channels]</c>, all of one dtype. <paramref name="kernelSize"/> 0 accepts any size.
    /// </summary>
    public static void CheckLightweight(Tensor input, Tensor weight, Tensor? bias, int kernelSize, string caller)
    {
        CheckInput(input, caller);
        long channels = input.shape[2];
        if (weight.dim() != 2 || weight.shape[0] < 1 || channels % weight.shape[0] != 0 || (kernelSize != 0 && weight.shape[1] != kernelSize))
            throw new ArgumentException(
                $"{caller}: the lightweight convolution's weight must be [heads, kernelSize] = [H, {KernelText(kernelSize)}] with H dividing the input's {channels} channels; " +
                $"got weight {Shape(weight)} for input {Shape(input)}. Pass the softmax-normalised [heads, {KernelText(kernelSize)}] weight (see ConvolutionReference.SoftmaxDropConnect).");
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != channels))
            throw new ArgumentException($"{caller}: the bias must be [channels] = [{channels}]; got {Shape(bias)}. Pass null for no bias.");
        CheckDtypes(caller, input, weight, bias);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="input"/> is <c>[batch, seq, channels]</c> and
    /// <paramref name="weights"/> is <c>[batch, seq, heads, kernelSize]</c> with heads dividing channels, of one dtype.
    /// <paramref name="kernelSize"/> 0 accepts any size.
    /// </summary>
    public static void CheckDynamic(Tensor input, Tensor weights, int kernelSize, string caller)
    {
        CheckInput(input, caller);
        long channels = input.shape[2];
        if (weights.dim() != 4 || weights.shape[0] != input.shape[0] || weights.shape[1] != input.shape[1] || weights.shape[2] < 1
            || channels % weights.shape[2] != 0 || (kernelSize != 0 && weights.shape[3] != kernelSize))
            throw new ArgumentException(
                $"{caller}: the dynamic convolution's weights must be [batch, seq, heads, kernelSize] = [{input.shape[0]}, {input.shape[1]}, H, {KernelText(kernelSize)}] with H dividing the input's {channels} channels; " +
                $"got weights {Shape(weights)} for input {Shape(input)}. Project the input to heads × {KernelText(kernelSize)} logits, view them as [batch, seq, heads, {KernelText(kernelSize)}] and normalise them (ConvolutionReference.SoftmaxDropConnect).");
        CheckDtypes(caller, input, weights, null);
    }

    /// <summary>Formats a shape as <c>[2, 128, 256]</c> for error messages.</summary>
    public static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";

    private static void CheckInput(Tensor input, string caller)
    {
        if (input.dim() != 3)
            throw new ArgumentException($"{caller}: the input must be [batch, seq, channels]; got {Shape(input)}. Batch-first, channels last.");
    }

    private static void CheckDtypes(string caller, Tensor input, Tensor weight, Tensor? bias)
    {
        if (weight.dtype != input.dtype || (bias is not null && bias.dtype != input.dtype))
            throw new ArgumentException(
                $"{caller}: the input, the weights and the bias must share a dtype; got {input.dtype}, {weight.dtype}{(bias is null ? "" : ", " + bias.dtype)}. Convert them with .to(input.dtype).");
        if (weight.device_type != input.device_type || (bias is not null && bias.device_type != input.device_type))
            throw new ArgumentException($"{caller}: the input, the weights and the bias must be on one device; got {input.device}, {weight.device}{(bias is null ? "" : ", " + bias.device)}.");
    }

    private static string KernelText(int kernelSize) => kernelSize == 0 ? "K" : kernelSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
