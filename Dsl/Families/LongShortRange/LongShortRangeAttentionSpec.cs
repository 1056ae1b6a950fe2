using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// Lite Transformer's long-short range attention: full attention on the first <see cref="AttentionWidth"/> channels,
    /// a dynamic or lightweight convolution on the rest. See <see cref="LongShortRangeAttentionAttribute"/>.
    /// </summary>
    /// <param name="Heads">Heads of the attention branch. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Convolution">Dynamic or lightweight. See <see cref="LongShortRangeAttentionAttribute.Convolution"/>.</param>
    /// <param name="KernelHeads">Heads of the convolution. See <see cref="LongShortRangeAttentionAttribute.KernelHeads"/>.</param>
    /// <param name="AttentionWidth">Channels of the attention branch; 0 means Dim / 2. See <see cref="LongShortRangeAttentionAttribute.AttentionWidth"/>.</param>
    /// <param name="KernelSizes">One kernel size per layer, or one for all; null for the paper's list. See <see cref="LongShortRangeAttentionAttribute.KernelSizes"/>.</param>
    /// <param name="DropConnect">Dropout on the normalised convolution weights. See <see cref="LongShortRangeAttentionAttribute.DropConnect"/>.</param>
    public sealed record LongShortRangeAttentionSpec(int Heads, ConvolutionKind Convolution, int KernelHeads, int AttentionWidth = 0,
        ImmutableEquatableArray<int>? KernelSizes = null, double DropConnect = 0.0) : AttentionSpec(Heads)
    {
        /// <summary>The convolution when a declaration leaves <c>Convolution</c> out.</summary>
        public const ConvolutionKind DefaultConvolution = ConvolutionKind.Dynamic;

        /// <summary>Lite Transformer's kernel sizes by layer (its <c>encoder_kernel_size_list</c> default); 31 beyond.</summary>
        public static ImmutableEquatableArray<int> DefaultKernelSizes { get; } = ImmutableEquatableArray.Create(3, 7, 15, 31, 31, 31);

        /// <inheritdoc/>
        public override string AttributeName => "LongShortRangeAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"long-short range attention: full attention on {(AttentionWidth != 0 ? SpecFormat.Int(AttentionWidth) : "Dim / 2")} channels, O(L²·AttentionWidth), beside a {Kind} convolution on the rest, O(L·K·(Dim − AttentionWidth)) for kernel size K";

        private string Kind => Convolution == ConvolutionKind.Lightweight ? "lightweight" : "dynamic";

        /// <summary>Channels of the attention branch in a model of width <paramref name="dim"/>.</summary>
        public override int Width(int dim) => AttentionWidth != 0 ? AttentionWidth : dim / 2;

        /// <summary>Channels of the convolution branch: Dim minus the attention branch's.</summary>
        public int ConvolutionWidth(int dim) => dim - Width(dim);

        /// <summary>True for dynamic convolution, whose branch opens with Linear(C → 2C) and a GLU.</summary>
        public bool Glu => Convolution == ConvolutionKind.Dynamic;

        /// <summary>The kernel size of layer <paramref name="layer"/> (numbered from 0).</summary>
        public int KernelSizeOf(int layer)
        {
            var sizes = KernelSizes ?? DefaultKernelSizes;
            // An empty list is refused (XF0093); 0 keeps the card and messages total until it is.
            return sizes.Count == 0 ? 0 : sizes.Count == 1 ? sizes[0] : layer < sizes.Count ? sizes[layer] : sizes[sizes.Count - 1];
        }

        /// <summary>
        /// The attention branch's four projections at its width, then the convolution branch: Linear(C → 2C) (dynamic, for
        /// the GLU) or Linear(C → C), the kernels (dynamic: a bias-free Linear(C → KernelHeads·K); lightweight: KernelHeads × K
        /// weights), Linear(C → C).
        /// </summary>
        public override long ParametersOfLayer(ModelSpec model, int layer) => Parameters(model.Dim, model.Bias, KernelSizeOf(layer));

        /// <summary>The parameters of layer 0; a layer's own depend on its kernel size (see <see cref="ParametersOfLayer"/>).</summary>
        public override long ParametersPerLayer(int dim, bool bias) => Parameters(dim, bias, KernelSizeOf(0));

        private long Parameters(int dim, bool bias, long kernelSize)
        {
            long a = Width(dim), c = ConvolutionWidth(dim), heads = KernelHeads;
            long inner = Glu ? 2 * c : c;
            long attention = 4 * a * a + (bias ? 4 * a : 0);
            long convolution = c * inner + (bias ? inner : 0)
                + (Convolution == ConvolutionKind.Dynamic ? c * heads * kernelSize : heads * kernelSize)
                + c * c + (bias ? c : 0);
            return attention + convolution;
        }

        /// <summary>
        /// The attention branch's projections and mixing at its width, and the convolution branch's: its two Linear layers,
        /// a dynamic kernel's weights (C·KernelHeads·K), and the convolution itself (C·K).
        /// </summary>
        public override long MacsPerTokenOfLayer(ModelSpec model, int layer, int length)
        {
            long c = ConvolutionWidth(model.Dim), k = KernelSizeOf(layer);
            long attention = ProjectionMacsPerToken(model.Dim) + MixingMacsPerToken(model.Dim, length, model.Causal);
            long convolution = c * (Glu ? 2 * c : c) + (Convolution == ConvolutionKind.Dynamic ? c * KernelHeads * k : 0) + c * k + c * c;
            return attention + convolution;
        }

        /// <inheritdoc/>
        public override long ProjectionMacsPerToken(int dim) => 4L * Width(dim) * Width(dim);

        /// <inheritdoc/>
        public override long MixingMacsPerToken(int dim, int length, bool causal) =>
            causal ? (long)Width(dim) * (length + 1L) : 2L * Width(dim) * length;

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            var problems = new List<SpecProblem>();
            void Add(SpecRule rule, string argument, params string[] values) =>
                problems.Add(new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(values)) with { AttentionIndex = index });

            if (!System.Enum.IsDefined(typeof(ConvolutionKind), Convolution))
                problems.Add(SpecValidation.UndefinedEnumProblem(AttributeName, "Convolution", Convolution) with { AttentionIndex = index });
            if (!(DropConnect >= 0 && DropConnect < 1))
                Add(LongShortRangeAttentionRules.DropConnectOutOfRange, "DropConnect", SpecFormat.Double(DropConnect));
            foreach (int size in (KernelSizes ?? DefaultKernelSizes).Distinct())
                if (!LongShortRangeAttentionRules.KernelSize.Contains(size))
                    problems.Add(SpecValidation.RangeProblem(LongShortRangeAttentionRules.KernelSize, size) with { AttentionIndex = index });
            if (!LongShortRangeAttentionRules.KernelHeads.Contains(KernelHeads))
                problems.Add(SpecValidation.RangeProblem(LongShortRangeAttentionRules.KernelHeads, KernelHeads) with { AttentionIndex = index });
            if (!SpecLimits.Dim.Contains(model.Dim) || !SpecLimits.Heads.Contains(Heads))
                return problems;

            int dim = model.Dim, width = Width(dim);
            if (AttentionWidth == 0 && dim % 2 != 0)
            {
                // The default promises the paper's even split; an odd Dim has none, so the split must be chosen.
                Add(LongShortRangeAttentionRules.WidthDoesNotSplit, "", $"Dim = {SpecFormat.Int(dim)} has no two equal halves for the default split",
                    SpecFormat.Int(dim - 1), SpecFormat.Int(System.Math.Max(1, dim / 2)));
                return problems;
            }
            if (width < 1 || width >= dim)
            {
                // Only a declared width gets here: the default halves an even Dim.
                Add(LongShortRangeAttentionRules.WidthDoesNotSplit, "AttentionWidth", $"AttentionWidth = {SpecFormat.Int(AttentionWidth)} leaves Dim = {SpecFormat.Int(dim)} no two branches",
                    SpecFormat.Int(dim - 1), SpecFormat.Int(System.Math.Max(1, dim / 2)));
                return problems;
            }
            bool headsDivide = width % Heads == 0;
            if (!headsDivide)
                Add(LongShortRangeAttentionRules.HeadsDoNotDivideAttentionWidth, "Heads", SpecFormat.Int(Heads), SpecFormat.Int(width), SpecValidation.SuggestHeads(width, Heads));
            int convolutionWidth = dim - width;
            // KernelHeads left out is Heads: once Heads is reported, the same number is not reported again.
            bool reportedAsHeads = !headsDivide && KernelHeads == Heads;
            if (LongShortRangeAttentionRules.KernelHeads.Contains(KernelHeads) && convolutionWidth % KernelHeads != 0 && !reportedAsHeads)
                Add(LongShortRangeAttentionRules.KernelHeadsDoNotDivide, "KernelHeads", SpecFormat.Int(KernelHeads), SpecFormat.Int(convolutionWidth), SpecValidation.SuggestHeads(convolutionWidth, KernelHeads));
            if (KernelSizes is { } sizes && sizes.Count != 1 && SpecLimits.Depth.Contains(model.Depth) && sizes.Count != model.Depth)
            {
                var suggestion = Enumerable.Range(0, model.Depth).Select(layer => DefaultKernelSizes[System.Math.Min(layer, DefaultKernelSizes.Count - 1)]);
                Add(LongShortRangeAttentionRules.KernelSizesNotOnePerLayer, "KernelSizes", SpecFormat.IntArray(sizes), SpecFormat.Int(sizes.Count),
                    model.Name == "Encoder" ? "encoder" : model.Name == "Decoder" ? "decoder" : "model", SpecFormat.Int(model.Depth), SpecFormat.IntArray(suggestion));
            }
            else if (!model.Causal)
            {
                var attentionOfLayer = model.AttentionIndexOfLayers();
                for (int layer = 0; layer < attentionOfLayer.Count; layer++)
                {
                    int size = KernelSizeOf(layer);
                    if (attentionOfLayer[layer] == index && size % 2 == 0 && LongShortRangeAttentionRules.KernelSize.Contains(size))
                    {
                        Add(LongShortRangeAttentionRules.EvenKernelInEncoder, "KernelSizes", SpecFormat.Int(layer), SpecFormat.Int(size), SpecFormat.Int(size - 1), SpecFormat.Int(size + 1));
                        break;
                    }
                }
            }
            return problems;
        }
    }
}
