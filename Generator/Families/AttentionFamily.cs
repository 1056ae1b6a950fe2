using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Model;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// One attention family, in one place: how its attribute is read into its <see cref="AttentionSpec"/>
    /// (<see cref="Parse"/>) and written back as arguments (<see cref="Format"/>, its inverse, for the header and the
    /// emitted <c>Spec</c>), the rules and generator-only diagnostics it owns, and what it writes into its attention
    /// class. <see cref="Emit.AttentionClassEmitter"/> writes the frame every family shares: the class, the head
    /// constants, the input projections split into heads, rotary positions, merging the heads, the output projection
    /// and dropout; the family writes the rest: its extra parameters, the step that turns the split projections into
    /// <c>attended</c>, and its fused kernel. Derive from <see cref="AttentionFamily{TSpec, TAttribute}"/> and add one
    /// line to <see cref="AttentionFamilies.All"/>.
    /// </summary>
    internal abstract class AttentionFamily
    {
        private static readonly IReadOnlyList<string> s_queryKeyValue = new[] { "q_proj", "k_proj", "v_proj" };
        private static readonly IReadOnlyList<string> s_queryKey = new[] { "q", "k" };

        /// <summary>As users write it, e.g. <c>FullAttention</c>; equals <see cref="AttentionSpec.AttributeName"/>.</summary>
        public abstract string AttributeName { get; }

        /// <summary>The attribute's metadata name, e.g. <c>XformerDsl.FullAttentionAttribute</c>.</summary>
        public abstract string MetadataName { get; }

        /// <summary>The spec record this family reads declarations into.</summary>
        public abstract Type SpecType { get; }

        /// <summary>The spec record's fully qualified name, e.g. <c>global::XformerDsl.Specs.FullAttentionSpec</c>.</summary>
        public string SpecTypeName => "global::" + SpecType.FullName;

        /// <summary>The attention class of a declaration of this family when layers mix families: <c>FullAttentionLayer</c>.</summary>
        public string LayerClassName => AttributeName + "Layer";

        /// <summary>
        /// The rules the family's spec checks beyond the shared ones, with the ID block they own (null for a family with
        /// none); the descriptor table is derived from them.
        /// </summary>
        public virtual SpecRuleSet? Rules => null;

        /// <summary>Diagnostics only the generator reports for this family (none by default); their IDs lie in <see cref="Rules"/>' block.</summary>
        public virtual IEnumerable<DiagnosticDescriptor> GeneratorDiagnostics => Enumerable.Empty<DiagnosticDescriptor>();

        /// <summary>Reads the attribute; null when an argument is missing or broken (already reported, or the compiler's).</summary>
        public abstract AttentionSpec? Parse(AttributeArguments arguments);

        /// <summary>
        /// The spec's arguments as C# literals, in declaration order, named as both the attribute and the record name
        /// them; parsing them back gives the same spec.
        /// </summary>
        public abstract ImmutableArray<(string Name, string Literal)> Format(AttentionSpec attention);

        /// <summary>
        /// A problem with generating this declaration at all (work or output too large to produce at compile time),
        /// checked after the spec rules pass, before anything is emitted; null when it can be generated.
        /// </summary>
        public virtual DiagnosticInfo? GenerationProblem(ModelSpec spec, AttentionSpec attention, LocationInfo? location) => null;

        /// <summary>
        /// The input projections, each a Dim → Dim Linear whose output is split into heads as a local named after it
        /// without <c>_proj</c> (<c>q_proj</c> → <c>q</c>, <c>[batch, heads, seq, headDim]</c>). Queries, keys and values
        /// by default; a family with shared query-key projections (Reformer) names its own.
        /// </summary>
        public virtual IReadOnlyList<string> InputProjections => s_queryKeyValue;

        /// <summary>The split projections rotary positions rotate (queries and keys by default).</summary>
        public virtual IReadOnlyList<string> RotatedProjections => s_queryKey;

        /// <summary>
        /// The input projections of one declaration: <see cref="InputProjections"/> unless the family's projections depend
        /// on its arguments (a pure synthesizer has no queries and keys).
        /// </summary>
        public virtual IReadOnlyList<string> InputProjectionsOf(AttentionSpec attention) => InputProjections;

        /// <summary>The split projections rotary positions rotate in one declaration: <see cref="RotatedProjections"/> unless overridden.</summary>
        public virtual IReadOnlyList<string> RotatedProjectionsOf(AttentionSpec attention) => RotatedProjections;

        /// <summary>
        /// Whether a layer of this declaration has parameters or buffers of its own beside the projections (the
        /// constructor's summary says so); a declaration, not a family, decides (a mean-pooled compressed layer has none).
        /// </summary>
        public virtual bool HasOwnParameters(ModelSpec spec, AttentionSpec attention) => true;

        /// <summary>Declares the family's own parameters and buffers, beside the projections.</summary>
        public virtual void EmitFields(SourceWriter writer, ModelSpec spec, AttentionSpec attention) { }

        /// <summary>Creates them, in the class's constructor before <c>RegisterComponents()</c>.</summary>
        public virtual void EmitConstruction(SourceWriter writer, ModelSpec spec, AttentionSpec attention) { }

        /// <summary>Initialises them, in <c>InitializeWeights</c>.</summary>
        public virtual void EmitInitialization(SourceWriter writer, ModelSpec spec, AttentionSpec attention) { }

        /// <summary>
        /// Declares <c>attended</c>, <c>[batch, heads, seq, headDim]</c>, from the split projections, <c>keyPaddingMask</c>
        /// (null, or bool <c>[batch, seq]</c>) and the constants <c>Heads</c> and <c>HeadDim</c>.
        /// </summary>
        public abstract void EmitAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention);

        /// <summary>
        /// True when the declaration can attend one new token per sequence from a state of fixed size, so a model whose
        /// layers all can gets the recurrent stepping API (<c>CreateState</c>, <c>Step</c>). False by default.
        /// </summary>
        public virtual bool IsRecurrent(ModelSpec spec, AttentionSpec attention) => false;

        /// <summary>
        /// For a recurrent declaration: what one of its layers keeps between steps, for the summary of the model's
        /// <c>CreateState</c>; null for a family with no recurrent form.
        /// </summary>
        public virtual StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) => null;

        /// <summary>
        /// For a recurrent declaration: true when its step holds nothing sized by the position, so a model whose layers all
        /// do steps on past MaxLength (Transformer-XL: a memory of fixed length). False by default.
        /// </summary>
        public virtual bool StepsPastMaxLength(ModelSpec spec, AttentionSpec attention) => false;

        /// <summary>
        /// For a recurrent declaration: declares <c>attended</c>, <c>[batch, heads, 1, headDim]</c>, from the new token's
        /// split projections, <c>state</c> (the model's <c>RecurrentState</c>) and <c>layer</c> (this layer's number).
        /// </summary>
        public virtual void EmitStepAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention) =>
            throw new InvalidOperationException(attention.AttributeName + " has no recurrent form.");

        /// <summary>
        /// True when the family writes its attention class whole (<see cref="EmitClass"/>) instead of filling in the shared
        /// frame: Lite Transformer's attention, which splits the channels between an attention and a convolution branch.
        /// </summary>
        public virtual bool EmitsWholeClass => false;

        /// <summary>
        /// When <see cref="EmitsWholeClass"/>: the attention class of declaration <paramref name="index"/>, named
        /// <paramref name="name"/>, deriving from the shared abstract base when <paramref name="isOverride"/>, with the
        /// frame's contract: <c>forward(x, keyPaddingMask[, rotary])</c>, <c>InitializeWeights()</c>, and when the model
        /// steps, <c>IRecurrentAttention.Step(x, state, layer)</c>.
        /// </summary>
        public virtual void EmitClass(SourceWriter writer, ModelSpec spec, int index, string name, bool isOverride, bool recurrent) =>
            throw new InvalidOperationException(AttributeName + " fills in the shared attention class.");

        /// <summary>True when the attention class's constructor takes its layer's number (layers of one declaration differ).</summary>
        public virtual bool TakesLayer => false;

        /// <summary>
        /// A parameter the model owns and this declaration's layers read, or null (the default): the attention class's
        /// constructor then takes a <c>Func&lt;Tensor&gt;</c> named <see cref="ModelOwnedParameter.Field"/>, which the
        /// family's <see cref="EmitFields"/> and <see cref="EmitConstruction"/> keep.
        /// </summary>
        public virtual ModelOwnedParameter? ModelParameter(ModelSpec spec, AttentionSpec attention) => null;

        /// <summary>Nested types of the attention class, such as the family's fused <c>Kernel</c>.</summary>
        /// <param name="writer">Where they go.</param>
        /// <param name="spec">The model.</param>
        /// <param name="attention">The declaration.</param>
        /// <param name="owner">Who the types belong to in messages: the model, or the model and its layer class.</param>
        public virtual void EmitNestedTypes(SourceWriter writer, ModelSpec spec, AttentionSpec attention, string owner) { }
    }

    /// <summary>
    /// The base of every family: <typeparamref name="TAttribute"/> names the family (its attribute is compiled into the
    /// generator, so the names come from <c>typeof</c> and <c>nameof</c>, and renaming an attribute or one of its
    /// properties breaks this build, not a user's), and the spec is cast to <typeparamref name="TSpec"/> once, here,
    /// for every hook.
    /// </summary>
    /// <typeparam name="TSpec">The family's spec record.</typeparam>
    /// <typeparam name="TAttribute">The family's attribute.</typeparam>
    internal abstract class AttentionFamily<TSpec, TAttribute> : AttentionFamily
        where TSpec : AttentionSpec
        where TAttribute : AttentionAttribute
    {
        private const string Suffix = "Attribute";

        public sealed override string AttributeName { get; } = typeof(TAttribute).Name.Substring(0, typeof(TAttribute).Name.Length - Suffix.Length);

        public sealed override string MetadataName { get; } = typeof(TAttribute).FullName!;

        public sealed override Type SpecType => typeof(TSpec);

        public sealed override AttentionSpec? Parse(AttributeArguments arguments) => ParseSpec(arguments);

        public sealed override ImmutableArray<(string Name, string Literal)> Format(AttentionSpec attention) =>
            FormatSpec((TSpec)attention).ToImmutableArray();

        public sealed override DiagnosticInfo? GenerationProblem(ModelSpec spec, AttentionSpec attention, LocationInfo? location) =>
            GenerationProblem(spec, (TSpec)attention, location);

        public sealed override void EmitFields(SourceWriter writer, ModelSpec spec, AttentionSpec attention) => EmitFields(writer, spec, (TSpec)attention);

        public sealed override void EmitConstruction(SourceWriter writer, ModelSpec spec, AttentionSpec attention) => EmitConstruction(writer, spec, (TSpec)attention);

        public sealed override void EmitInitialization(SourceWriter writer, ModelSpec spec, AttentionSpec attention) => EmitInitialization(writer, spec, (TSpec)attention);

        public sealed override void EmitAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention) => EmitAttend(writer, spec, (TSpec)attention);

        public sealed override bool IsRecurrent(ModelSpec spec, AttentionSpec attention) => IsRecurrent(spec, (TSpec)attention);

        public sealed override void EmitStepAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention) => EmitStepAttend(writer, spec, (TSpec)attention);

        public sealed override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, AttentionSpec attention, string owner) =>
            EmitNestedTypes(writer, spec, (TSpec)attention, owner);

        public sealed override ModelOwnedParameter? ModelParameter(ModelSpec spec, AttentionSpec attention) => ModelParameter(spec, (TSpec)attention);

        public sealed override bool HasOwnParameters(ModelSpec spec, AttentionSpec attention) => HasOwnParameters(spec, (TSpec)attention);

        /// <summary>Reads the attribute's arguments, by <c>nameof</c> its properties, defaults from the spec's constants.</summary>
        protected abstract TSpec? ParseSpec(AttributeArguments arguments);

        /// <summary>The inverse of <see cref="ParseSpec"/>: the arguments that declare <paramref name="attention"/>.</summary>
        protected abstract IEnumerable<(string Name, string Literal)> FormatSpec(TSpec attention);

        /// <inheritdoc cref="AttentionFamily.GenerationProblem"/>
        protected virtual DiagnosticInfo? GenerationProblem(ModelSpec spec, TSpec attention, LocationInfo? location) => null;

        /// <inheritdoc cref="AttentionFamily.EmitFields"/>
        protected virtual void EmitFields(SourceWriter writer, ModelSpec spec, TSpec attention) { }

        /// <inheritdoc cref="AttentionFamily.EmitConstruction"/>
        protected virtual void EmitConstruction(SourceWriter writer, ModelSpec spec, TSpec attention) { }

        /// <inheritdoc cref="AttentionFamily.EmitInitialization"/>
        protected virtual void EmitInitialization(SourceWriter writer, ModelSpec spec, TSpec attention) { }

        /// <inheritdoc cref="AttentionFamily.EmitAttend"/>
        protected abstract void EmitAttend(SourceWriter writer, ModelSpec spec, TSpec attention);

        /// <inheritdoc cref="AttentionFamily.IsRecurrent"/>
        protected virtual bool IsRecurrent(ModelSpec spec, TSpec attention) => false;

        /// <inheritdoc cref="AttentionFamily.EmitStepAttend"/>
        protected virtual void EmitStepAttend(SourceWriter writer, ModelSpec spec, TSpec attention) =>
            throw new InvalidOperationException(attention.AttributeName + " has no recurrent form.");

        /// <inheritdoc cref="AttentionFamily.EmitNestedTypes"/>
        protected virtual void EmitNestedTypes(SourceWriter writer, ModelSpec spec, TSpec attention, string owner) { }

        /// <inheritdoc cref="AttentionFamily.ModelParameter"/>
        protected virtual ModelOwnedParameter? ModelParameter(ModelSpec spec, TSpec attention) => null;

        /// <inheritdoc cref="AttentionFamily.HasOwnParameters"/>
        protected virtual bool HasOwnParameters(ModelSpec spec, TSpec attention) => true;

        /// <summary>An integer argument: <c>("Heads", "4")</c>.</summary>
        protected static (string Name, string Literal) Argument(string name, long value) => (name, SpecFormat.Int(value));

        /// <summary>An enum argument: <c>global::XformerDsl.SparsePattern.Fixed</c>, or a cast for a value that names no member.</summary>
        protected static (string Name, string Literal) Argument<TEnum>(string name, TEnum value) where TEnum : struct, Enum
        {
            var member = SpecFormat.Enum(value);
            var type = "global::" + typeof(TEnum).FullName;
            return (name, char.IsDigit(member[0]) || member[0] == '-' ? $"({type})({member})" : type + "." + member);
        }

        /// <summary>An int-array argument: <c>new[] { 1, 2 }</c>.</summary>
        protected static (string Name, string Literal) Argument(string name, IEnumerable<int> values) =>
            (name, SpecFormat.IntArray(values));

        protected static string Int(long value) => SpecFormat.Int(value);
    }
}
