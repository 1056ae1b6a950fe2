using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Frame;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Model;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[SynthesizerAttention]</c>: the mode's parameters (<c>random_logits</c>; <c>random_left</c> and
    /// <c>random_right</c>; <c>dense_in</c> with <c>dense_out_weight</c>/<c>dense_out_bias</c> or the two factors'),
    /// an attend step that builds the synthetic logits of the first seq positions and hands them to the generated
    /// <c>Kernel</c> as its additive score bias: bias-only for a pure synthesizer (no query or key projections), or
    /// added to the scaled dot products when mixed.
    /// </summary>
    internal sealed class SynthesizerAttentionFamily : AttentionFamily<SynthesizerAttentionSpec, SynthesizerAttentionAttribute>
    {
        private static readonly IReadOnlyList<string> s_valueOnly = new[] { "v_proj" };
        private static readonly IReadOnlyList<string> s_none = new string[0];

        /// <summary>XF0114: the synthetic logits hold most of the model's parameters.</summary>
        internal static readonly DiagnosticDescriptor SyntheticParametersDominate = DescriptorFactory.Create(
            "XF0114", "Synthesizer parameters dominate the model",
            "[SynthesizerAttention] with Mode = {0} learns {1} parameters per layer ({2}), {3} of the model's {4} parameters ({5}%); consider Mode = SynthesizerMode.FactorizedRandom (2·Heads·MaxLength·Factor parameters) or FactorizedDense, or a shorter MaxLength",
            DescriptorFactory.Specification, DiagnosticSeverity.Warning);

        public override SpecRuleSet? Rules => SynthesizerAttentionRules.All;

        public override IEnumerable<DiagnosticDescriptor> GeneratorDiagnostics => new[] { SyntheticParametersDominate };

        protected override SynthesizerAttentionSpec? ParseSpec(AttributeArguments arguments)
        {
            int? heads = arguments.RequiredInt(nameof(SynthesizerAttentionAttribute.Heads), SpecLimits.Heads);
            var mode = arguments.Enum(nameof(SynthesizerAttentionAttribute.Mode), SynthesizerAttentionSpec.DefaultMode);
            int factor = arguments.OptionalInt(nameof(SynthesizerAttentionAttribute.Factor)) ?? 0;
            bool dotProduct = arguments.Bool(nameof(SynthesizerAttentionAttribute.DotProduct), false);
            bool learnedMixture = arguments.Bool(nameof(SynthesizerAttentionAttribute.LearnedMixture), false);
            return heads is int h ? new SynthesizerAttentionSpec(h, mode, factor, dotProduct, learnedMixture) : null;
        }

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(SynthesizerAttentionSpec attention)
        {
            yield return Argument(nameof(SynthesizerAttentionAttribute.Heads), attention.Heads);
            yield return Argument(nameof(SynthesizerAttentionAttribute.Mode), attention.Mode);
            yield return Argument(nameof(SynthesizerAttentionAttribute.Factor), attention.Factor);
            yield return (nameof(SynthesizerAttentionAttribute.DotProduct), SpecFormat.Bool(attention.DotProduct));
            yield return (nameof(SynthesizerAttentionAttribute.LearnedMixture), SpecFormat.Bool(attention.LearnedMixture));
        }

        public override IReadOnlyList<string> InputProjectionsOf(AttentionSpec attention) =>
            ((SynthesizerAttentionSpec)attention).DotProduct ? InputProjections : s_valueOnly;

        public override IReadOnlyList<string> RotatedProjectionsOf(AttentionSpec attention) =>
            ((SynthesizerAttentionSpec)attention).DotProduct ? RotatedProjections : s_none;

        /// <summary>
        /// Not a problem that stops generation: XF0114 is a warning, reported when the synthesizer's parameters are more
        /// than half the model's (the random mode's Heads·MaxLength² per layer grows fastest).
        /// </summary>
        protected override DiagnosticInfo? GenerationProblem(ModelSpec spec, SynthesizerAttentionSpec attention, LocationInfo? location)
        {
            var attentionOfLayers = spec.AttentionIndexOfLayers();
            int layers = attentionOfLayers.Count(index => spec.Attention[index].Attention == attention);
            long perLayer = attention.SyntheticParameters(spec);
            long synthetic = perLayer * layers;
            long total = ModelCard.Of(spec).ParameterCount;
            if (total <= 0 || 2 * synthetic <= total)
                return null;
            string formula = attention.Mode switch
            {
                SynthesizerMode.Random => "Heads·MaxLength²",
                SynthesizerMode.FactorizedRandom => "2·Heads·MaxLength·Factor",
                _ => "the dense layers' weights",
            };
            return DiagnosticInfo.Create(SyntheticParametersDominate, location, SpecFormat.Enum(attention.Mode), Int(perLayer), formula,
                Int(synthetic), Int(total), Int(100 * synthetic / total));
        }

        private static string Shape(params object[] sizes) => "<c>[" + string.Join(", ", sizes) + "]</c>";

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, SynthesizerAttentionSpec attention)
        {
            int maxLength = spec.MaxLength, factor = attention.Factor;
            writer.WriteLine($"private const int MaxLength = {Int(maxLength)};");
            switch (attention.Mode)
            {
                case SynthesizerMode.Random:
                    writer.WriteLine($"/// <summary>The synthetic logits, {Shape("Heads", "MaxLength", "MaxLength")}: learned outright, independent of the input.</summary>");
                    writer.WriteLine($"private readonly {Names.Parameter} random_logits;");
                    break;
                case SynthesizerMode.FactorizedRandom:
                    writer.WriteLine($"private const int Factor = {Int(factor)};");
                    writer.WriteLine($"/// <summary>R₁, {Shape("Heads", "MaxLength", "Factor")}: the synthetic logits are R₁·R₂ᵀ.</summary>");
                    writer.WriteLine($"private readonly {Names.Parameter} random_left;");
                    writer.WriteLine($"/// <summary>R₂, {Shape("Heads", "MaxLength", "Factor")}.</summary>");
                    writer.WriteLine($"private readonly {Names.Parameter} random_right;");
                    break;
                default:
                    writer.WriteLine("/// <summary>The dense synthesizer's first layer, Dim → Dim (then ReLU), split into heads.</summary>");
                    writer.WriteLine($"private readonly {Names.Linear} dense_in;");
                    if (attention.Mode == SynthesizerMode.Dense)
                    {
                        writer.WriteLine($"/// <summary>Its second layer per head, {Shape("Heads", "MaxLength", "HeadDim")}: a token's hidden features to its MaxLength logits.</summary>");
                        writer.WriteLine($"private readonly {Names.Parameter} dense_out_weight;");
                        writer.WriteLine($"/// <summary>Its bias, {Shape("Heads", "MaxLength")}.</summary>");
                        writer.WriteLine($"private readonly {Names.Parameter} dense_out_bias;");
                    }
                    else
                    {
                        writer.WriteLine($"private const int FactorA = {Int(factor)};");
                        writer.WriteLine($"private const int FactorB = {Int(maxLength / factor)};");
                        writer.WriteLine($"/// <summary>A per head, {Shape("Heads", "FactorA", "HeadDim")}: a token's hidden features to FactorA values.</summary>");
                        writer.WriteLine($"private readonly {Names.Parameter} dense_a_weight;");
                        writer.WriteLine($"/// <summary>A's bias, {Shape("Heads", "FactorA")}.</summary>");
                        writer.WriteLine($"private readonly {Names.Parameter} dense_a_bias;");
                        writer.WriteLine($"/// <summary>B per head, {Shape("Heads", "FactorB", "HeadDim")}: a token's hidden features to FactorB values.</summary>");
                        writer.WriteLine($"private readonly {Names.Parameter} dense_b_weight;");
                        writer.WriteLine($"/// <summary>B's bias, {Shape("Heads", "FactorB")}.</summary>");
                        writer.WriteLine($"private readonly {Names.Parameter} dense_b_bias;");
                    }
                    break;
            }
            if (attention.LearnedMixture)
            {
                writer.WriteLine($"/// <summary>The mixture's logits, {Shape("Heads", "2")}: softmax gives each head's weights of the synthetic and dot-product terms.</summary>");
                writer.WriteLine($"private readonly {Names.Parameter} mixture_logits;");
            }
        }

        protected override void EmitConstruction(SourceWriter writer, ModelSpec spec, SynthesizerAttentionSpec attention)
        {
            string Empty(params string[] sizes) => $"new {Names.Parameter}({Names.Torch}.empty({string.Join(", ", sizes)}))";
            switch (attention.Mode)
            {
                case SynthesizerMode.Random:
                    writer.WriteLine($"random_logits = {Empty("Heads", "MaxLength", "MaxLength")};");
                    break;
                case SynthesizerMode.FactorizedRandom:
                    writer.WriteLine($"random_left = {Empty("Heads", "MaxLength", "Factor")};");
                    writer.WriteLine($"random_right = {Empty("Heads", "MaxLength", "Factor")};");
                    break;
                default:
                    writer.WriteLine($"dense_in = {Names.Nn}.Linear({Int(spec.Dim)}, {Int(spec.Dim)}, hasBias: true);");
                    if (attention.Mode == SynthesizerMode.Dense)
                    {
                        writer.WriteLine($"dense_out_weight = {Empty("Heads", "MaxLength", "HeadDim")};");
                        writer.WriteLine($"dense_out_bias = {Empty("Heads", "MaxLength")};");
                    }
                    else
                    {
                        writer.WriteLine($"dense_a_weight = {Empty("Heads", "FactorA", "HeadDim")};");
                        writer.WriteLine($"dense_a_bias = {Empty("Heads", "FactorA")};");
                        writer.WriteLine($"dense_b_weight = {Empty("Heads", "FactorB", "HeadDim")};");
                        writer.WriteLine($"dense_b_bias = {Empty("Heads", "FactorB")};");
                    }
                    break;
            }
            if (attention.LearnedMixture)
                writer.WriteLine($"mixture_logits = {Empty("Heads", "2")};");
        }

        protected override void EmitInitialization(SourceWriter writer, ModelSpec spec, SynthesizerAttentionSpec attention)
        {
            string std = SpecFormat.DoubleLiteral(LayerFactories.InitStd);
            void Normal(string field) => writer.WriteLine($"{Names.Init}.normal_({field}, 0.0, {std});");
            void Zeros(string field) => writer.WriteLine($"{Names.Init}.zeros_({field});");
            switch (attention.Mode)
            {
                case SynthesizerMode.Random:
                    writer.WriteLine("// Small logits: attention starts close to uniform over the visible keys.");
                    Normal("random_logits");
                    break;
                case SynthesizerMode.FactorizedRandom:
                    writer.WriteLine("// Factors of std 1/√Factor: their product starts with logits of std about 1/√Factor.");
                    writer.WriteLine($"{Names.Init}.normal_(random_left, 0.0, {SpecFormat.DoubleLiteral(1.0 / System.Math.Sqrt(attention.Factor))});");
                    writer.WriteLine($"{Names.Init}.normal_(random_right, 0.0, 1.0);");
                    break;
                default:
                    writer.WriteLine($"{Names.Init}.normal_(dense_in.weight, 0.0, {std});");
                    writer.WriteLine($"{Names.Init}.zeros_(dense_in.bias!);");
                    if (attention.Mode == SynthesizerMode.Dense)
                    {
                        Normal("dense_out_weight");
                        Zeros("dense_out_bias");
                    }
                    else
                    {
                        Normal("dense_a_weight");
                        writer.WriteLine("// A starts at 1 and B small, so the product's logits start small.");
                        writer.WriteLine($"{Names.Init}.ones_(dense_a_bias);");
                        Normal("dense_b_weight");
                        Zeros("dense_b_bias");
                    }
                    break;
            }
            if (attention.LearnedMixture)
            {
                writer.WriteLine("// Equal weights to begin with: α = (½, ½) in every head.");
                Zeros("mixture_logits");
            }
        }

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, SynthesizerAttentionSpec attention)
        {
            int headDim = spec.HeadDimOf(attention);
            string heads = Int(attention.Heads);
            switch (attention.Mode)
            {
                case SynthesizerMode.Random:
                    writer.WriteLine($"// The synthetic logits of the first seq positions, [{heads}, seq, seq]: a view of random_logits, read in place by the kernel.");
                    writer.WriteLine("// The whole matrix at MaxLength: narrowing it even to its full size would cost a zero-filled copy of its");
                    writer.WriteLine("// [Heads, MaxLength, MaxLength] gradient in the backward pass.");
                    writer.WriteLine("var logits = seq == MaxLength ? random_logits : random_logits.narrow(1, 0, seq).narrow(2, 0, seq);");
                    break;
                case SynthesizerMode.FactorizedRandom:
                    writer.WriteLine($"// R₁·R₂ᵀ over the first seq positions: [{heads}, seq, {Int(attention.Factor)}] x [{heads}, {Int(attention.Factor)}, seq] -> [{heads}, seq, seq].");
                    writer.WriteLine($"var logits = {Names.Torch}.matmul(random_left.narrow(1, 0, seq), random_right.narrow(1, 0, seq).transpose(1, 2));");
                    break;
                default:
                    writer.WriteLine($"// Each token's hidden features, from the token alone: [batch, seq, {Int(spec.Dim)}] -> [batch, {heads}, seq, {Int(headDim)}].");
                    writer.WriteLine($"var hidden = {Names.Functional}.relu(dense_in.forward(x)).view(batch, seq, Heads, HeadDim).transpose(1, 2);");
                    if (attention.Mode == SynthesizerMode.Dense)
                    {
                        writer.WriteLine($"// Each token's logits over the first seq keys: [batch, {heads}, seq, {Int(headDim)}] x [{heads}, {Int(headDim)}, seq] + [{heads}, 1, seq] -> [batch, {heads}, seq, seq].");
                        writer.WriteLine($"var logits = {Names.Torch}.matmul(hidden, dense_out_weight.narrow(1, 0, seq).transpose(1, 2)) + dense_out_bias.narrow(1, 0, seq).unsqueeze(1);");
                    }
                    else
                    {
                        int b = spec.MaxLength / attention.Factor;
                        writer.WriteLine($"// A and B of each token: [batch, {heads}, seq, {Int(headDim)}] -> [batch, {heads}, seq, {Int(attention.Factor)}] and [batch, {heads}, seq, {Int(b)}].");
                        writer.WriteLine($"var a = {Names.Torch}.matmul(hidden, dense_a_weight.transpose(1, 2)) + dense_a_bias.unsqueeze(1);");
                        writer.WriteLine($"var b = {Names.Torch}.matmul(hidden, dense_b_weight.transpose(1, 2)) + dense_b_bias.unsqueeze(1);");
                        writer.WriteLine($"// Their outer product, flattened, is the token's row of {Int(spec.MaxLength)} logits (logit j = a[j / {Int(b)}] · b[j % {Int(b)}]); the first seq -> [batch, {heads}, seq, seq].");
                        writer.WriteLine("var logits = (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(3).narrow(3, 0, seq);");
                    }
                    break;
            }
            string hidden = spec.Causal
                ? "later and padded keys hidden (the triangular mask is exact: row i of the logits depends on nothing after token i)"
                : "padded keys hidden";
            string call = $"{Names.FusedBiasedAttention}<{SoftmaxKernelEmitter.ClassName}>";
            if (!attention.DotProduct)
            {
                writer.WriteLine($"// Attend: softmax(logits) v, {hidden}.");
                writer.WriteLine($"// The fused kernel below ({SoftmaxKernelEmitter.ClassName}) takes the logits as its scores, with no queries or keys;");
                writer.WriteLine("// other devices and dtypes take the reference path.");
                writer.WriteLine($"var attended = {call}.ApplyBias(logits, v, keyPaddingMask);");
                return;
            }
            if (attention.LearnedMixture)
            {
                writer.WriteLine("// The paper's mixture: per head, α = softmax(mixture_logits) weighs the synthetic logits (α₁) and the dot products (α₂,");
                writer.WriteLine("// applied to the queries, which the dot products are linear in).");
                writer.WriteLine("var mixture = mixture_logits.softmax(-1);");
                writer.WriteLine("logits = logits * mixture.select(1, 0).view(Heads, 1, 1);");
                writer.WriteLine("q = q * mixture.select(1, 1).view(1, Heads, 1, 1);");
            }
            writer.WriteLine($"// Attend: softmax(q kᵀ / √{Int(headDim)} + logits) v, {hidden}.");
            writer.WriteLine($"// The fused kernel below ({SoftmaxKernelEmitter.ClassName}) adds the logits to each score tile; other devices and dtypes take");
            writer.WriteLine("// the reference path.");
            writer.WriteLine($"var attended = {call}.Apply(q, k, v, keyPaddingMask, logits);");
        }

        /// <summary>
        /// A causal synthesizer steps from a key-value cache: row i of its synthetic logits depends on position i (random)
        /// or token i (dense) alone, so the new token's row is computed on its own and added to its scores over the cache.
        /// </summary>
        protected override bool IsRecurrent(ModelSpec spec, SynthesizerAttentionSpec attention) => spec.Causal;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("synthetic attention", "Synthesizer layers", "a cache of the values (and keys, with dot products) that grows with the position", FixedSize: false);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, SynthesizerAttentionSpec attention)
        {
            string heads = Int(attention.Heads), length = Int(spec.MaxLength);
            // [Heads, batch, MaxLength] rows, one per sequence at its position, laid out as [batch, Heads, 1, MaxLength].
            const string PerSequence = ".transpose(0, 1).unsqueeze(2)";
            switch (attention.Mode)
            {
                case SynthesizerMode.Random:
                    writer.WriteLine($"// The new token's synthetic logits: row `position` of random_logits per sequence -> [batch, {heads}, 1, {length}].");
                    writer.WriteLine($"var logits = random_logits.index_select(1, state.Positions){PerSequence};");
                    break;
                case SynthesizerMode.FactorizedRandom:
                    writer.WriteLine($"// The new token's row of R₁·R₂ᵀ: [{heads}, batch, {Int(attention.Factor)}] x [{heads}, {Int(attention.Factor)}, {length}] -> [batch, {heads}, 1, {length}].");
                    writer.WriteLine($"var logits = {Names.Torch}.matmul(random_left.index_select(1, state.Positions), random_right.transpose(1, 2)){PerSequence};");
                    break;
                default:
                    writer.WriteLine($"// The new token's hidden features: [batch, 1, {Int(spec.Dim)}] -> [batch, {heads}, 1, {Int(spec.HeadDimOf(attention))}].");
                    writer.WriteLine($"var hidden = {Names.Functional}.relu({LayerFactories.StepLinear("dense_in", "x")}).view(batch, 1, Heads, HeadDim).transpose(1, 2);");
                    if (attention.Mode == SynthesizerMode.Dense)
                    {
                        writer.WriteLine($"// Its logits over every position: [batch, {heads}, 1, {length}].");
                        writer.WriteLine($"var logits = {Names.Torch}.matmul(hidden, dense_out_weight.transpose(1, 2)) + dense_out_bias.unsqueeze(1);");
                    }
                    else
                    {
                        writer.WriteLine($"// Its A and B, and their outer product flattened: [batch, {heads}, 1, {length}].");
                        writer.WriteLine($"var a = {Names.Torch}.matmul(hidden, dense_a_weight.transpose(1, 2)) + dense_a_bias.unsqueeze(1);");
                        writer.WriteLine($"var b = {Names.Torch}.matmul(hidden, dense_b_weight.transpose(1, 2)) + dense_b_bias.unsqueeze(1);");
                        writer.WriteLine("var logits = (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(3);");
                    }
                    break;
            }
            writer.WriteLine("// Cache the new value (and key); the query's scores over positions 0..its own are the logits' first entries");
            if (!attention.DotProduct)
            {
                writer.WriteLine("// alone, as in forward.");
                writer.WriteLine("var attended = state.KeyValues(layer, Heads, HeadDim).Step(null, null, v, state.Positions, logits);");
                return;
            }
            writer.WriteLine("// plus q kᵀ / √HeadDim, as in forward.");
            if (attention.LearnedMixture)
            {
                writer.WriteLine("var mixture = mixture_logits.softmax(-1);");
                writer.WriteLine("logits = logits * mixture.select(1, 0).view(Heads, 1, 1);");
                writer.WriteLine("q = q * mixture.select(1, 1).view(1, Heads, 1, 1);");
            }
            writer.WriteLine("var attended = state.KeyValues(layer, Heads, HeadDim).Step(q, k, v, state.Positions, logits);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, SynthesizerAttentionSpec attention, string owner)
        {
            writer.WriteLine();
            SoftmaxKernelEmitter.Emit(writer, spec, attention, new FullSchedule(spec.Causal), owner,
                scores: attention.DotProduct ? KernelScores.QueryKeyAndBias : KernelScores.BiasOnly);
        }
    }
}
