using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Frame;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[InducedAttention]</c> (Set Transformer's ISAB): the frame's <c>q_proj</c> and <c>out_proj</c> are the outer
    /// block's, MAB(X, H); the family adds <c>induce</c>, the inner block H = MAB(I, X) (a runtime
    /// <c>PoolingByAttention</c> whose seeds are the m inducing points), and <c>k_proj</c>, <c>v_proj</c>, which project
    /// the m summaries. Both attentions run on the generated bidirectional softmax <c>Kernel</c>, which serves queries
    /// and keys of different lengths: m points over the seq tokens (with the padding mask), then seq tokens over m
    /// summaries.
    /// </summary>
    internal sealed class InducedAttentionFamily : AttentionFamily<InducedAttentionSpec, InducedAttentionAttribute>
    {
        // Only the queries come from the tokens; keys and values come from the summaries, projected in the attend step.
        private static readonly IReadOnlyList<string> s_queryOnly = new[] { "q_proj" };

        public override SpecRuleSet? Rules => InducedAttentionRules.All;

        public override IReadOnlyList<string> InputProjections => s_queryOnly;

        // Rotary positions are refused (XF0132): the points and summaries have no position.
        public override IReadOnlyList<string> RotatedProjections => System.Array.Empty<string>();

        protected override InducedAttentionSpec? ParseSpec(AttributeArguments arguments)
        {
            int? heads = arguments.RequiredInt(nameof(InducedAttentionAttribute.Heads), SpecLimits.Heads);
            int points = arguments.OptionalInt(nameof(InducedAttentionAttribute.Points)) ?? InducedAttentionSpec.DefaultPoints;
            return heads is int h ? new InducedAttentionSpec(h, points) : null;
        }

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(InducedAttentionSpec attention)
        {
            yield return Argument(nameof(InducedAttentionAttribute.Heads), attention.Heads);
            yield return Argument(nameof(InducedAttentionAttribute.Points), attention.Points);
        }

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, InducedAttentionSpec attention)
        {
            writer.WriteLine($"private const int Points = {Int(attention.Points)};");
            writer.WriteLine($"/// <summary>H = MAB(I, X): the {Int(attention.Points)} inducing points (<c>induce.seeds</c>) attend to the real tokens.</summary>");
            writer.WriteLine($"private readonly {Names.PoolingByAttention} induce;");
            writer.WriteLine("/// <summary>The keys of the summaries H, which every token attends to.</summary>");
            writer.WriteLine($"private readonly {Names.Linear} k_proj;");
            writer.WriteLine("/// <summary>The values of the summaries H.</summary>");
            writer.WriteLine($"private readonly {Names.Linear} v_proj;");
        }

        protected override void EmitConstruction(SourceWriter writer, ModelSpec spec, InducedAttentionSpec attention)
        {
            bool rmsNorm = spec.Normalization.Kind == NormKind.RmsNorm;
            writer.WriteLine($"induce = new {Names.PoolingByAttention}({Int(spec.Dim)}, Heads, Points, bias: {SpecFormat.Bool(spec.Bias)}, rmsNorm: {SpecFormat.Bool(rmsNorm)}, eps: {SpecFormat.DoubleLiteral(spec.Normalization.Epsilon)},");
            writer.WriteLine($"    attend: {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply);");
            writer.WriteLine($"k_proj = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Dim)};");
            writer.WriteLine($"v_proj = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Dim)};");
        }

        protected override void EmitInitialization(SourceWriter writer, ModelSpec spec, InducedAttentionSpec attention)
        {
            writer.WriteLine("// The inducing points Xavier-uniform, as the authors' code; the inner block's Linears as the projections.");
            writer.WriteLine($"induce.InitializeWeights({SpecFormat.DoubleLiteral(LayerFactories.InitStd)});");
            LayerFactories.EmitLinearInit(writer, spec, "k_proj", LayerFactories.InitStd);
            LayerFactories.EmitLinearInit(writer, spec, "v_proj", LayerFactories.InitStd);
        }

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, InducedAttentionSpec attention)
        {
            string points = Int(attention.Points), heads = Int(attention.Heads), headDim = Int(spec.HeadDimOf(attention));
            writer.WriteLine($"// Summarise: the {points} inducing points attend to the real tokens, H = MAB(I, X): [batch, seq, {Int(spec.Dim)}] -> [batch, {points}, {Int(spec.Dim)}].");
            writer.WriteLine("var summaries = induce.forward(x, keyPaddingMask);");
            writer.WriteLine($"// Keys and values of the summaries: [batch, {points}, {Int(spec.Dim)}] -> [batch, {heads}, {points}, {headDim}].");
            writer.WriteLine("var k = k_proj.forward(summaries).view(batch, Points, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine("var v = v_proj.forward(summaries).view(batch, Points, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine($"// Attend, MAB(X, H): softmax(q kᵀ / √{headDim}) v, every token over the {points} summaries, all visible (padding is already out");
            writer.WriteLine($"// of them). The fused kernel below ({SoftmaxKernelEmitter.ClassName}) runs both attentions on the CPU; other devices and dtypes take the reference path.");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, k, v, null);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, InducedAttentionSpec attention, string owner)
        {
            writer.WriteLine();
            // Points over up to MaxLength tokens, and up to MaxLength tokens over the points, all visible but padding:
            // the bidirectional full-attention kernel.
            SoftmaxKernelEmitter.Emit(writer, spec with { Causal = false }, attention, new FullSchedule(causal: false), owner);
        }
    }
}
