using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// Root-mean-square normalization (Zhang &amp; Sennrich, 2019): <c>x / √(mean(x²) + ε) · weight</c> over the last
/// dimension; no centring, no bias. TorchSharp 0.107 has no RMSNorm module. The parameter is named <c>weight</c>,
/// as in PyTorch's <c>nn.RMSNorm</c> and Hugging Face LLaMA, so state dicts map one to one.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private const string WeightName = nameof(weight);

    [ComponentName(Name = WeightName)]
    private Parameter _weight;

    /// <summary>A norm over vectors of <paramref name="dim"/> elements, weight initialised to ones.</summary>
    /// <param name="dim">Size of the last dimension of the input.</param>
    /// <param name="eps">Added to the mean square for numerical stability.</param>
    public RmsNorm(long dim, double eps = 1e-5) : base(nameof(RmsNorm))
    {
        if (dim < 1)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "RmsNorm needs a positive dimension.");
        if (!(eps > 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "RmsNorm needs a positive epsilon.");
        Dim = dim;
        Epsilon = eps;
        _weight = nn.Parameter(ones(dim));
        RegisterComponents();
    }

    /// <summary>Size of the normalised (last) dimension.</summary>
    public long Dim { get; }

    /// <summary>The ε added to the mean square.</summary>
    public double Epsilon { get; }

    /// <summary>The learned per-element scale, <c>[Dim]</c>.</summary>
    public Parameter weight
    {
        get => _weight;
        set
        {
            if (ReferenceEquals(value, _weight))
                return;
            _weight = value;
            ConditionallyRegisterParameter(WeightName, _weight);
        }
    }

    /// <summary>Normalises <paramref name="input"/> <c>[..., Dim]</c> over its last dimension.</summary>
    public override Tensor forward(Tensor input)
    {
        if (input.shape.Length == 0 || input.shape[^1] != Dim)
            throw new ArgumentException($"RmsNorm({Dim}): the last dimension of the input must be {Dim}; got shape {ShapeText(input)}.");
        using var scope = NewDisposeScope();
        var meanSquare = input.square().mean(new long[] { -1 }, keepdim: true);
        return (input * (meanSquare + Epsilon).rsqrt() * _weight).MoveToOuterDisposeScope();
    }

    private static string ShapeText(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";
}
