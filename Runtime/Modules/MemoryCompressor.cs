using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// A Compressive Transformer layer's compression function (Rae et al., 2020, §3.1): positions that left the layer's
/// memory, <c>[batch, groups · ratio, dim]</c>, become one slot per group of <c>ratio</c> consecutive positions,
/// <c>[batch, groups, dim]</c>. A convolution (<c>nn.Conv1d(dim, dim, ratio, stride: ratio)</c>, the paper's best on
/// enwik8, parameters <c>weight</c> <c>[dim, dim, ratio]</c> and <c>bias</c> as PyTorch names them) or a mean or max
/// pool without parameters. The model stores its slots without gradient, so a convolution learns from the
/// attention-reconstruction loss alone (<see cref="AttentionReconstruction"/>).
/// </summary>
public sealed class MemoryCompressor : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(weight))]
    private Parameter? _weight;

    [ComponentName(Name = nameof(bias))]
    private Parameter? _bias;

    /// <summary>A compression of <paramref name="ratio"/> positions of width <paramref name="dim"/> into one slot.</summary>
    /// <param name="function">Convolution, mean pool or max pool.</param>
    /// <param name="dim">The width of the positions and of the slots.</param>
    /// <param name="ratio">Positions per slot.</param>
    /// <param name="bias">Whether a convolution has a bias (the model's Bias).</param>
    /// <exception cref="ArgumentOutOfRangeException">When a size is not positive or the function is not defined.</exception>
    public MemoryCompressor(CompressionFunction function, long dim, int ratio, bool bias) : base(nameof(MemoryCompressor))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratio);
        if (!Enum.IsDefined(function))
            throw new ArgumentOutOfRangeException(nameof(function), function, "Use CompressionFunction.Convolution, MeanPool or MaxPool.");
        Function = function;
        Dim = dim;
        Ratio = ratio;
        if (function == CompressionFunction.Convolution)
        {
            _weight = nn.Parameter(empty(dim, dim, ratio));
            _bias = bias ? nn.Parameter(zeros(dim)) : null;
            InitializeWeights();
        }
        RegisterComponents();
    }

    /// <summary>How positions become a slot.</summary>
    public CompressionFunction Function { get; }

    /// <summary>The width of positions and slots.</summary>
    public long Dim { get; }

    /// <summary>Positions per slot.</summary>
    public int Ratio { get; }

    /// <summary>The convolution's weight <c>[dim, dim, ratio]</c>, or null for pooling.</summary>
    public Parameter? weight
    {
        get => _weight;
        set
        {
            if (ReferenceEquals(value, _weight))
                return;
            _weight = value;
            ConditionallyRegisterParameter(nameof(weight), _weight);
        }
    }

    /// <summary>The convolution's bias <c>[dim]</c>, or null.</summary>
    public Parameter? bias
    {
        get => _bias;
        set
        {
            if (ReferenceEquals(value, _bias))
                return;
            _bias = value;
            ConditionallyRegisterParameter(nameof(bias), _bias);
        }
    }

    /// <summary>
    /// A convolution starts as the mean of its slot plus N(0, 0.02) noise, bias 0: from the first step its slots carry
    /// what the positions held (a random filter would hand attention noise until the reconstruction loss had trained it),
    /// and the noise lets it learn more than the mean. Pooling has nothing to initialise.
    /// </summary>
    public void InitializeWeights()
    {
        if (_weight is null)
            return;
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            var mean = eye(Dim).unsqueeze(2).expand(Dim, Dim, Ratio) / Ratio;      // weight[o, i, t] = δ(o, i) / ratio
            _weight.copy_(mean + normal(0.0, 0.02, _weight.shape));
            _bias?.zero_();
        }
    }

    /// <summary>Compresses <c>[batch, groups · Ratio, Dim]</c> into <c>[batch, groups, Dim]</c>, one slot per group of consecutive positions.</summary>
    /// <exception cref="ArgumentException">When the shape is not <c>[batch, a multiple of Ratio, Dim]</c>.</exception>
    public override Tensor forward(Tensor positions)
    {
        if (positions.dim() != 3 || positions.shape[2] != Dim || positions.shape[1] % Ratio != 0)
            throw new ArgumentException(
                $"{nameof(MemoryCompressor)}: positions must be [batch, groups · {Ratio}, {Dim}] (whole groups of the ratio, as SegmentMemory.Update returns them); got {ModelInputs.Shape(positions)}.", nameof(positions));
        long batch = positions.shape[0], groups = positions.shape[1] / Ratio;
        using var scope = NewDisposeScope();
        var grouped = positions.reshape(batch, groups, Ratio, Dim);                                      // [batch, groups, ratio, dim]
        var slots = Function switch
        {
            CompressionFunction.MeanPool => grouped.mean(new long[] { 2 }),
            CompressionFunction.MaxPool => grouped.amax(new long[] { 2 }),
            // conv1d with kernel = stride = ratio as one product: each group's positions side by side, [batch, groups,
            // ratio · dim], times the filter rearranged to [ratio · dim, dim] (row t · dim + i, column o holds weight[o, i, t]).
            _ => ConvolutionSlots(grouped.reshape(batch, groups, Ratio * Dim)),
        };
        return slots.MoveToOuterDisposeScope();
    }

    private Tensor ConvolutionSlots(Tensor groups)
    {
        var filter = _weight!.permute(2, 1, 0).reshape(Ratio * Dim, Dim);
        var slots = groups.matmul(filter.to(groups.dtype));
        return _bias is null ? slots : slots + _bias.to(groups.dtype);
    }
}
