using System;
using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[LinearAttention]</c>: maps the split queries and keys through the feature map φ (with its random or learned
    /// parameters as fields), then attends with <c>φ(q) (φ(k)ᵀ v) / (φ(q) · Σ φ(k))</c>.
    /// </summary>
    internal sealed class LinearAttentionFamily : AttentionFamily<LinearAttentionSpec, LinearAttentionAttribute>
    {
        private const string Maps = "global::XformerDsl.Attention.Linear.LinearFeatureMaps";
        private const string Favor = "global::XformerDsl.Attention.Linear.FavorFeatures";
        private const string Fused = "global::XformerDsl.Autograd.FusedLinearAttention";
        private const string Parameter = Names.TorchModules + ".Parameter";

        public override SpecRuleSet? Rules => LinearAttentionRules.All;

        protected override LinearAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            arguments.RequiredInt(nameof(LinearAttentionAttribute.Heads), SpecLimits.Heads) is int heads
                ? new LinearAttentionSpec(heads,
                    arguments.Enum(nameof(LinearAttentionAttribute.Kernel), LinearAttentionSpec.DefaultKernel),
                    arguments.OptionalInt(nameof(LinearAttentionAttribute.Features)),
                    arguments.OptionalInt(nameof(LinearAttentionAttribute.RedrawEvery)) ?? 0,
                    arguments.OptionalInt(nameof(LinearAttentionAttribute.Seed)) ?? 0)
                : null;

        /// <summary>The declaration's arguments: Features only when declared, RedrawEvery and Seed only for FAVOR+.</summary>
        protected override IEnumerable<(string Name, string Literal)> FormatSpec(LinearAttentionSpec linear)
        {
            yield return Argument(nameof(LinearAttentionAttribute.Heads), linear.Heads);
            yield return Argument(nameof(LinearAttentionAttribute.Kernel), linear.Kernel);
            if (linear.Features is int features)
                yield return Argument(nameof(LinearAttentionAttribute.Features), features);
            if (linear.HasRandomFeatures)
            {
                yield return Argument(nameof(LinearAttentionAttribute.RedrawEvery), linear.RedrawEvery);
                yield return Argument(nameof(LinearAttentionAttribute.Seed), linear.Seed);
            }
        }

        // FAVOR+'s random features (a buffer) or T2R's learned map; the ELU map has nothing of its own.
        protected override bool HasOwnParameters(ModelSpec spec, LinearAttentionSpec linear) => linear.HasRandomFeatures || linear.HasLearnedFeatures;

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, LinearAttentionSpec linear)
        {
            int features = linear.FeatureCount(spec.HeadDimOf(linear));
            writer.WriteLine($"private const int Features = {Int(features)};");
            if (linear.HasRandomFeatures)
            {
                writer.WriteLine($"private const int Seed = {Int(linear.Seed)};");
                writer.WriteLine("/// <summary>FAVOR+ random features ω, <c>[Features, HeadDim]</c>, shared by the heads; a buffer, saved in the state dict.</summary>");
                writer.WriteLine($"private readonly {Names.Tensor} feature_projection;");
                if (linear.RedrawEvery > 0)
                {
                    writer.WriteLine($"private const int RedrawEvery = {Int(linear.RedrawEvery)};");
                    writer.WriteLine("/// <summary>Training steps taken, for the redraw schedule; a buffer, saved in the state dict.</summary>");
                    writer.WriteLine($"private readonly {Names.Tensor} feature_steps;");
                }
            }
            if (linear.HasLearnedFeatures)
            {
                writer.WriteLine("/// <summary>T2R's W, <c>[Heads, Features, HeadDim]</c>.</summary>");
                writer.WriteLine($"private readonly {Parameter} feature_weight;");
                writer.WriteLine("/// <summary>T2R's b, <c>[Heads, Features]</c>.</summary>");
                writer.WriteLine($"private readonly {Parameter} feature_bias;");
            }
        }

        protected override void EmitConstruction(SourceWriter writer, ModelSpec spec, LinearAttentionSpec linear)
        {
            if (linear.HasRandomFeatures)
            {
                writer.WriteLine("// Draw 0 of the random features, from Seed: every model built from this declaration starts from the same ω.");
                writer.WriteLine($"feature_projection = {Favor}.Draw(Features, HeadDim, seed: Seed, draw: 0).to({Names.Torch}.float32);");
                if (linear.RedrawEvery > 0)
                    writer.WriteLine($"feature_steps = {Names.Torch}.zeros(1, {Names.Torch}.int64);");
            }
            if (linear.HasLearnedFeatures)
            {
                writer.WriteLine($"feature_weight = new {Parameter}({Names.Torch}.empty(Heads, Features, HeadDim));");
                writer.WriteLine($"feature_bias = new {Parameter}({Names.Torch}.zeros(Heads, Features));");
            }
        }

        protected override void EmitInitialization(SourceWriter writer, ModelSpec spec, LinearAttentionSpec linear)
        {
            if (!linear.HasLearnedFeatures)
                return;
            int headDim = spec.HeadDimOf(linear);
            writer.WriteLine($"// T2R's feature map: W with std 1/√HeadDim = 1/√{Int(headDim)}, so W x has about the spread of x; b = 0.");
            writer.WriteLine($"{Names.Init}.normal_(feature_weight, 0.0, {SpecFormat.DoubleLiteral(1.0 / Math.Sqrt(headDim))});");
            writer.WriteLine($"{Names.Init}.zeros_(feature_bias);");
        }

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, LinearAttentionSpec linear)
        {
            if (linear.HasRandomFeatures && linear.RedrawEvery > 0)
            {
                writer.WriteLine("// A training step: count it, and every RedrawEvery steps overwrite ω with the next draw from Seed.");
                writer.WriteLine("if (training)");
                writer.Indented(() => writer.WriteLine($"{Favor}.Step(feature_projection, feature_steps, RedrawEvery, Seed);"));
            }
            foreach (var line in FeatureMapLines(linear))
                writer.WriteLine(line);
            writer.WriteLine($"// Attend: φ(q) (φ(k)ᵀ v) / (φ(q) · Σ φ(k)), {(spec.Causal ? "each query over itself and earlier keys" : "each query over every key")}; padded keys leave both sums.");
            writer.WriteLine($"// The fused kernel below ({LinearKernelEmitter.ClassName}) runs it on the CPU; other devices and dtypes take the composed reference.");
            writer.WriteLine($"var attended = {Fused}<{LinearKernelEmitter.ClassName}>.Apply(featureQuery, featureKey, v, keyPaddingMask);");
        }

        /// <summary>Causal linear attention is an RNN: its state is Features × HeadDim per head, whatever the position.</summary>
        protected override bool IsRecurrent(ModelSpec spec, LinearAttentionSpec linear) => spec.Causal;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("causal linear attention", "Linear attention layers", "a state of fixed size", FixedSize: true);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, LinearAttentionSpec linear)
        {
            foreach (var line in FeatureMapLines(linear))
                writer.WriteLine(line);
            writer.WriteLine("// Add the new key to this layer's state, S += φ(k) vᵀ and z += φ(k), then read φ(q)ᵀ S / φ(q)·z.");
            writer.WriteLine("var attended = state.Linear(layer, Heads, Features, HeadDim).Step(featureQuery, featureKey, v, state.Active);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, LinearAttentionSpec linear, string owner)
        {
            writer.WriteLine();
            LinearKernelEmitter.Emit(writer, spec, linear, owner);
        }

        private static IEnumerable<string> FeatureMapLines(LinearAttentionSpec linear)
        {
            switch (linear.Kernel)
            {
                case FeatureMap.Relu:
                    yield return "// φ(x) = relu(x): non-negative features of the head's own dimensions.";
                    yield return $"var featureQuery = {Maps}.Relu(q);";
                    yield return $"var featureKey = {Maps}.Relu(k);";
                    break;
                case FeatureMap.Favor:
                    yield return "// φ = FAVOR+ (Choromanski et al., 2021): exp(ω·x' − ‖x'‖²/2) / √Features with x' = x / HeadDim^¼, an unbiased softmax estimate.";
                    yield return $"var featureQuery = {Maps}.Favor(q, feature_projection, isQuery: true);";
                    yield return $"var featureKey = {Maps}.Favor(k, feature_projection, isQuery: false);";
                    break;
                case FeatureMap.LearnedRelu:
                    yield return "// φ(x) = relu(W x + b) per head (T2R, Kasai et al., 2021), with W and b trained.";
                    yield return $"var featureQuery = {Maps}.LearnedRelu(q, feature_weight, feature_bias);";
                    yield return $"var featureKey = {Maps}.LearnedRelu(k, feature_weight, feature_bias);";
                    break;
                default:
                    yield return "// φ(x) = elu(x) + 1 (Katharopoulos et al., 2020): positive, so every normaliser is positive.";
                    yield return $"var featureQuery = {Maps}.EluPlusOne(q);";
                    yield return $"var featureKey = {Maps}.EluPlusOne(k);";
                    break;
            }
        }

    }
}
