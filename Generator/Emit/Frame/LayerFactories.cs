using System;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// How the generated code creates and initialises its Linear and norm layers, in one place for every emitter that
    /// holds them (model, block, feed-forward, attention layers), so bias, epsilon and GPT-2 initialisation agree.
    /// </summary>
    internal static class LayerFactories
    {
        /// <summary>GPT-2's standard deviation for every weight matrix and embedding.</summary>
        internal const double InitStd = 0.02;

        /// <summary>GPT-2's standard deviation for a projection that feeds the residual stream: 0.02 / √(2·Depth).</summary>
        internal static double ResidualStd(ModelSpec spec) => InitStd / Math.Sqrt(2.0 * spec.Depth);

        /// <summary>The type of the model's norm layers, for a field declaration.</summary>
        internal static string NormType(ModelSpec spec) =>
            spec.Normalization.Kind == NormKind.RmsNorm ? Names.RmsNorm : Names.LayerNorm;

        /// <summary>The expression that creates one of the model's norm layers, width Dim.</summary>
        internal static string NormCreate(ModelSpec spec) =>
            spec.Normalization.Kind == NormKind.RmsNorm
                ? $"new {Names.RmsNorm}({SpecFormat.Int(spec.Dim)}, eps: {SpecFormat.DoubleLiteral(spec.Normalization.Epsilon)})"
                : $"{Names.Nn}.LayerNorm({SpecFormat.Int(spec.Dim)}, eps: {SpecFormat.DoubleLiteral(spec.Normalization.Epsilon)}, bias: {SpecFormat.Bool(spec.Bias)})";

        /// <summary>Initialises the norm layer <paramref name="field"/>: weight 1, bias (LayerNorm with biases) 0.</summary>
        internal static void EmitNormInit(SourceWriter writer, ModelSpec spec, string field)
        {
            writer.WriteLine($"{Names.Init}.ones_({field}.weight);");
            if (spec.Normalization.Kind == NormKind.LayerNorm && spec.Bias)
                writer.WriteLine($"{Names.Init}.zeros_({field}.bias!);");
        }

        /// <summary>The expression that creates a Linear layer, with a bias when the model has biases.</summary>
        internal static string LinearCreate(ModelSpec spec, long inputs, long outputs) =>
            $"{Names.Nn}.Linear({SpecFormat.Int(inputs)}, {SpecFormat.Int(outputs)}, hasBias: {SpecFormat.Bool(spec.Bias)})";

        /// <summary>
        /// Initialises an attention's projections: each input projection with std 0.02, the output projection, which feeds
        /// the residual stream, with GPT-2's 0.02 / √(2·Depth).
        /// </summary>
        internal static void EmitProjectionInitialization(SourceWriter writer, ModelSpec spec, System.Collections.Generic.IEnumerable<string> inputs, string output)
        {
            foreach (var input in inputs)
                EmitLinearInit(writer, spec, input, InitStd);
            writer.WriteLine($"// The output projection feeds the residual stream: std 0.02 / √(2·Depth) = 0.02 / √{SpecFormat.Int(2L * spec.Depth)} (GPT-2).");
            EmitLinearInit(writer, spec, output, ResidualStd(spec));
        }

        /// <summary>
        /// The statement that returns the output projection of <paramref name="merged"/>, with residual dropout when the
        /// model has dropout; in a step (<paramref name="step"/>) through <see cref="StepLinear"/>.
        /// </summary>
        internal static string ReturnOutputProjection(ModelSpec spec, string merged, bool step = false)
        {
            string projected = step ? StepLinear("out_proj", merged) : $"out_proj.forward({merged})";
            return spec.Dropout > 0
                ? $"return {Names.Functional}.dropout({projected}, {SpecFormat.DoubleLiteral(spec.Dropout)}, training);"
                : $"return {projected};";
        }

        /// <summary>
        /// The Linear layer <paramref name="layer"/> applied to <paramref name="input"/> inside a generation step: through
        /// <c>TokenLinear</c>, which computes the step's few rows itself rather than through libtorch's matrix-vector path
        /// (see its documentation) and runs the layer's forward for anything else.
        /// </summary>
        internal static string StepLinear(string layer, string input) => $"{Names.TokenLinear}.Forward({layer}, {input})";

        /// <summary>
        /// GELU of <paramref name="input"/> inside a generation step: through <c>TokenActivation</c>, which keeps a step's
        /// few elements off oneDNN's parallel region (see its documentation).
        /// </summary>
        internal static string StepGelu(string input) => $"{Names.TokenActivation}.Gelu({input})";

        /// <summary>Initialises the Linear layer <paramref name="field"/>: weight ~ N(0, <paramref name="std"/>), bias 0.</summary>
        internal static void EmitLinearInit(SourceWriter writer, ModelSpec spec, string field, double std)
        {
            writer.WriteLine($"{Names.Init}.normal_({field}.weight, 0.0, {SpecFormat.DoubleLiteral(std)});");
            if (spec.Bias)
                writer.WriteLine($"{Names.Init}.zeros_({field}.bias!);");
        }
    }
}
