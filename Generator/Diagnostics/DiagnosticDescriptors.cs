using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Diagnostics
{
    /// <summary>
    /// Every diagnostic the generator reports, in one table. IDs are stable; each has a page at
    /// <c>docs/diagnostics/{ID}.md</c>. The declaration rules (partial class, missing arguments, …) only the generator
    /// checks; the spec rules (XF0008, XF0013–XF0019, XF0021 on, see <see cref="SpecRules"/>) are shared with run-time
    /// validation, and their title and message come from the rule itself.
    /// Keep <c>AnalyzerReleases.Unshipped.md</c> in step with this table.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        /// <summary>Help pages live beside the code; the ID and <c>.md</c> are appended.</summary>
        private const string HelpLinkBase = "https://github.com/xformerdsl/xformerdsl/blob/main/docs/diagnostics/";

        private const string Declaration = "XformerDsl.Declaration";
        private const string Specification = "XformerDsl.Specification";

        public static readonly DiagnosticDescriptor ModelNotPartial = new DiagnosticDescriptor(
            "XF0001", "Model class must be partial",
            "Class '{0}' has [Transformer] but is not partial; declare it as 'partial class {0}' so the generator can complete it",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0001.md");

        public static readonly DiagnosticDescriptor ModelIsGeneric = new DiagnosticDescriptor(
            "XF0002", "Model class cannot be generic",
            "Class '{0}' is generic ({1}); remove the type parameters, a model's architecture is fixed at compile time",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0002.md");

        public static readonly DiagnosticDescriptor ModelIsStatic = new DiagnosticDescriptor(
            "XF0003", "Model class cannot be static",
            "Class '{0}' is static; remove 'static', a model is a module you create with 'new {0}()'",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0003.md");

        public static readonly DiagnosticDescriptor ContainingTypeNotPartial = new DiagnosticDescriptor(
            "XF0004", "Type containing a model must be partial",
            "Class '{0}' is nested in '{1}', which is not partial; declare '{1}' as partial or move '{0}' out of it",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0004.md");

        public static readonly DiagnosticDescriptor ModelHasBaseClass = new DiagnosticDescriptor(
            "XF0005", "Model class cannot declare a base class",
            "Class '{0}' derives from '{1}'; remove the base class, the generator makes '{0}' derive from torch.nn.Module<Tensor, Tensor>",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0005.md");

        public static readonly DiagnosticDescriptor UnsupportedTypeKind = new DiagnosticDescriptor(
            "XF0006", "Model must be a plain partial class",
            "'{0}' is declared as {1}; declare it as 'public partial class {0}'",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0006.md");

        public static readonly DiagnosticDescriptor NoAttention = new DiagnosticDescriptor(
            "XF0007", "Model declares no attention",
            "Model '{0}' declares no attention; add exactly one attention attribute, such as [FullAttention(Heads = 4)]",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0007.md");

        public static readonly DiagnosticDescriptor ConflictingAttention = new DiagnosticDescriptor(
            SpecRuleIds.ConflictingAttention, SpecRules.ConflictingAttention.Title, SpecRules.ConflictingAttention.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.ConflictingAttention + ".md");

        public static readonly DiagnosticDescriptor OrphanAttribute = new DiagnosticDescriptor(
            "XF0009", "Attribute has no effect without [Transformer]",
            "[{0}] on '{1}' has no effect without [Transformer]; add [Transformer(Vocab = ..., Dim = ..., Depth = ..., MaxLength = ...)] to '{1}' or remove [{0}]",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0009.md");

        public static readonly DiagnosticDescriptor MissingRequiredArgument = new DiagnosticDescriptor(
            "XF0010", "Required argument missing",
            "[{0}] needs {1}; add an argument such as '{1} = {2}'",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0010.md");

        public static readonly DiagnosticDescriptor RuntimeNotReferenced = new DiagnosticDescriptor(
            "XF0011", "XformerDsl.Runtime is not referenced",
            "Model '{0}' needs '{1}' from XformerDsl.Runtime, which this project does not reference; add a reference to XformerDsl.Runtime (it brings TorchSharp)",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0011.md");

        public static readonly DiagnosticDescriptor ArgumentHasNoEffect = new DiagnosticDescriptor(
            "XF0012", "Argument has no effect",
            "{0} = {1} has no effect because {2}; remove it, or {3}",
            Declaration, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0012.md");

        public static readonly DiagnosticDescriptor ValueOutOfRange = new DiagnosticDescriptor(
            SpecRuleIds.ValueOutOfRange, SpecRules.ValueOutOfRange.Title, SpecRules.ValueOutOfRange.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.ValueOutOfRange + ".md");

        public static readonly DiagnosticDescriptor HeadsDoNotDivideDim = new DiagnosticDescriptor(
            SpecRuleIds.HeadsDoNotDivideDim, SpecRules.HeadsDoNotDivideDim.Title, SpecRules.HeadsDoNotDivideDim.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.HeadsDoNotDivideDim + ".md");

        public static readonly DiagnosticDescriptor DropoutOutOfRange = new DiagnosticDescriptor(
            SpecRuleIds.DropoutOutOfRange, SpecRules.DropoutOutOfRange.Title, SpecRules.DropoutOutOfRange.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.DropoutOutOfRange + ".md");

        public static readonly DiagnosticDescriptor EpsilonNotPositive = new DiagnosticDescriptor(
            SpecRuleIds.EpsilonNotPositive, SpecRules.EpsilonNotPositive.Title, SpecRules.EpsilonNotPositive.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.EpsilonNotPositive + ".md");

        public static readonly DiagnosticDescriptor RotaryNeedsEvenHeadDim = new DiagnosticDescriptor(
            SpecRuleIds.RotaryNeedsEvenHeadDim, SpecRules.RotaryNeedsEvenHeadDim.Title, SpecRules.RotaryNeedsEvenHeadDim.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.RotaryNeedsEvenHeadDim + ".md");

        public static readonly DiagnosticDescriptor RotaryBaseTooSmall = new DiagnosticDescriptor(
            SpecRuleIds.RotaryBaseTooSmall, SpecRules.RotaryBaseTooSmall.Title, SpecRules.RotaryBaseTooSmall.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.RotaryBaseTooSmall + ".md");

        public static readonly DiagnosticDescriptor UndefinedEnumValue = new DiagnosticDescriptor(
            SpecRuleIds.UndefinedEnumValue, SpecRules.UndefinedEnumValue.Title, SpecRules.UndefinedEnumValue.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.UndefinedEnumValue + ".md");

        public static readonly DiagnosticDescriptor LayerOutOfRange = new DiagnosticDescriptor(
            SpecRuleIds.LayerOutOfRange, SpecRules.LayerOutOfRange.Title, SpecRules.LayerOutOfRange.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.LayerOutOfRange + ".md");

        public static readonly DiagnosticDescriptor EveryOutOfRange = new DiagnosticDescriptor(
            SpecRuleIds.EveryOutOfRange, SpecRules.EveryOutOfRange.Title, SpecRules.EveryOutOfRange.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.EveryOutOfRange + ".md");

        public static readonly DiagnosticDescriptor LayersOverlap = new DiagnosticDescriptor(
            SpecRuleIds.LayersOverlap, SpecRules.LayersOverlap.Title, SpecRules.LayersOverlap.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.LayersOverlap + ".md");

        public static readonly DiagnosticDescriptor LayersWithoutAttention = new DiagnosticDescriptor(
            SpecRuleIds.LayersWithoutAttention, SpecRules.LayersWithoutAttention.Title, SpecRules.LayersWithoutAttention.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.LayersWithoutAttention + ".md");

        public static readonly DiagnosticDescriptor LayersAndEvery = new DiagnosticDescriptor(
            SpecRuleIds.LayersAndEvery, SpecRules.LayersAndEvery.Title, SpecRules.LayersAndEvery.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.LayersAndEvery + ".md");

        public static readonly DiagnosticDescriptor RotaryNeedsOneHeadSize = new DiagnosticDescriptor(
            SpecRuleIds.RotaryNeedsOneHeadSize, SpecRules.RotaryNeedsOneHeadSize.Title, SpecRules.RotaryNeedsOneHeadSize.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.RotaryNeedsOneHeadSize + ".md");

        public static readonly DiagnosticDescriptor NameClash = new DiagnosticDescriptor(
            "XF0020", "Name already used by the generated module",
            "Class '{0}' already uses the name '{1}', which the generated module needs; {2}",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0020.md");

        public static readonly DiagnosticDescriptor BlockDoesNotDivideMaxLength = new DiagnosticDescriptor(
            PatternRuleIds.BlockDoesNotDivideMaxLength, PatternRules.BlockDoesNotDivideMaxLength.Title, PatternRules.BlockDoesNotDivideMaxLength.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.BlockDoesNotDivideMaxLength + ".md");

        public static readonly DiagnosticDescriptor PatternExceedsSequence = new DiagnosticDescriptor(
            PatternRuleIds.PatternExceedsSequence, PatternRules.PatternExceedsSequence.Title, PatternRules.PatternExceedsSequence.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.PatternExceedsSequence + ".md");

        public static readonly DiagnosticDescriptor FutureInCausalModel = new DiagnosticDescriptor(
            PatternRuleIds.FutureInCausalModel, PatternRules.FutureInCausalModel.Title, PatternRules.FutureInCausalModel.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.FutureInCausalModel + ".md");

        public static readonly DiagnosticDescriptor GlobalTokensCoverSequence = new DiagnosticDescriptor(
            PatternRuleIds.GlobalTokensCoverSequence, PatternRules.GlobalTokensCoverSequence.Title, PatternRules.GlobalTokensCoverSequence.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.GlobalTokensCoverSequence + ".md");
        public static readonly DiagnosticDescriptor LinearFeaturesOutOfRange = new DiagnosticDescriptor(
            LinearAttentionRules.FeaturesOutOfRangeId, LinearAttentionRules.FeaturesOutOfRange.Title, LinearAttentionRules.FeaturesOutOfRange.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + LinearAttentionRules.FeaturesOutOfRangeId + ".md");

        public static readonly DiagnosticDescriptor LinearFeaturesWithoutEffect = new DiagnosticDescriptor(
            LinearAttentionRules.FeaturesWithoutEffectId, LinearAttentionRules.FeaturesWithoutEffect.Title, LinearAttentionRules.FeaturesWithoutEffect.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + LinearAttentionRules.FeaturesWithoutEffectId + ".md");

        public static readonly DiagnosticDescriptor LinearNeedsRandomFeatures = new DiagnosticDescriptor(
            LinearAttentionRules.NeedsRandomFeaturesId, LinearAttentionRules.NeedsRandomFeatures.Title, LinearAttentionRules.NeedsRandomFeatures.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + LinearAttentionRules.NeedsRandomFeaturesId + ".md");

        public static readonly DiagnosticDescriptor LinearRedrawEveryNegative = new DiagnosticDescriptor(
            LinearAttentionRules.RedrawEveryNegativeId, LinearAttentionRules.RedrawEveryNegative.Title, LinearAttentionRules.RedrawEveryNegative.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + LinearAttentionRules.RedrawEveryNegativeId + ".md");

        public static readonly DiagnosticDescriptor ConversionSourceNotAModel = new DiagnosticDescriptor(
            "XF0054", "ConvertsFrom names a type that is not a model",
            "[ConvertsFrom] on '{0}' names {1}, which has no [Transformer]; name a [Transformer] class with the same frame, such as typeof(TinyGpt), or remove [ConvertsFrom]",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0054.md");

        public static readonly DiagnosticDescriptor IncompatibleConversion = new DiagnosticDescriptor(
            "XF0055", "Models of a conversion have different frames",
            "{0} has {1} but {2} has {3}; {4}, so that every weight the two models share has the same shape and meaning",
            Declaration, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0055.md");

        public static readonly DiagnosticDescriptor ChunksDoNotDivideMaxLength = new DiagnosticDescriptor(
            SpecRuleIds.ChunksDoNotDivideMaxLength, SpecRules.ChunksDoNotDivideMaxLength.Title, SpecRules.ChunksDoNotDivideMaxLength.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.ChunksDoNotDivideMaxLength + ".md");

        public static readonly DiagnosticDescriptor ReversibleNeedsPreNorm = new DiagnosticDescriptor(
            SpecRuleIds.ReversibleNeedsPreNorm, SpecRules.ReversibleNeedsPreNorm.Title, SpecRules.ReversibleNeedsPreNorm.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.ReversibleNeedsPreNorm + ".md");

        public static readonly DiagnosticDescriptor MaxLengthNotMultipleOfBucketSize = new DiagnosticDescriptor(
            SpecRuleIds.MaxLengthNotMultipleOfBucketSize, SpecRules.MaxLengthNotMultipleOfBucketSize.Title, SpecRules.MaxLengthNotMultipleOfBucketSize.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.MaxLengthNotMultipleOfBucketSize + ".md");

        public static readonly DiagnosticDescriptor OddNumberOfBuckets = new DiagnosticDescriptor(
            SpecRuleIds.OddNumberOfBuckets, SpecRules.OddNumberOfBuckets.Title, SpecRules.OddNumberOfBuckets.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + SpecRuleIds.OddNumberOfBuckets + ".md");

        public static readonly DiagnosticDescriptor TooManyRandomBlocks = new DiagnosticDescriptor(
            PatternRuleIds.TooManyRandomBlocks, PatternRules.TooManyRandomBlocks.Title, PatternRules.TooManyRandomBlocks.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.TooManyRandomBlocks + ".md");

        public static readonly DiagnosticDescriptor AxialGridMismatch = new DiagnosticDescriptor(
            PatternRuleIds.AxialGridMismatch, PatternRules.AxialGridMismatch.Title, PatternRules.AxialGridMismatch.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.AxialGridMismatch + ".md");

        public static readonly DiagnosticDescriptor AxialHeadsOdd = new DiagnosticDescriptor(
            PatternRuleIds.AxialHeadsOdd, PatternRules.AxialHeadsOdd.Title, PatternRules.AxialHeadsOdd.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.AxialHeadsOdd + ".md");

        public static readonly DiagnosticDescriptor DilationsPerHead = new DiagnosticDescriptor(
            PatternRuleIds.DilationsPerHead, PatternRules.DilationsPerHead.Title, PatternRules.DilationsPerHead.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.DilationsPerHead + ".md");

        public static readonly DiagnosticDescriptor DilationAndDilations = new DiagnosticDescriptor(
            PatternRuleIds.DilationAndDilations, PatternRules.DilationAndDilations.Title, PatternRules.DilationAndDilations.MessageFormat,
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + PatternRuleIds.DilationAndDilations + ".md");

        public static readonly DiagnosticDescriptor LayoutTooLarge = new DiagnosticDescriptor(
            "XF0039", "The block layout is too large to generate",
            "[{0}] at MaxLength = {1} visits about {2} pairs of 64-position tiles, more than the {3} the generator writes into one kernel (the layout becomes constant arrays, each pair checked key by key at compile time); use a smaller MaxLength or a narrower pattern, or [FullAttention] if each query sees most of the sequence",
            Specification, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "XF0039.md");

        /// <summary>Every descriptor, in ID order.</summary>
        public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
            ModelNotPartial, ModelIsGeneric, ModelIsStatic, ContainingTypeNotPartial, ModelHasBaseClass, UnsupportedTypeKind,
            NoAttention, ConflictingAttention, OrphanAttribute, MissingRequiredArgument, RuntimeNotReferenced, ArgumentHasNoEffect,
            ValueOutOfRange, HeadsDoNotDivideDim, DropoutOutOfRange, EpsilonNotPositive, RotaryNeedsEvenHeadDim, RotaryBaseTooSmall,
            UndefinedEnumValue, NameClash, LayerOutOfRange, EveryOutOfRange, LayersOverlap, LayersWithoutAttention, LayersAndEvery,
            RotaryNeedsOneHeadSize,
            BlockDoesNotDivideMaxLength, PatternExceedsSequence, FutureInCausalModel, GlobalTokensCoverSequence, TooManyRandomBlocks,
            AxialGridMismatch, AxialHeadsOdd, DilationsPerHead, DilationAndDilations, LayoutTooLarge,
            LinearFeaturesOutOfRange, LinearFeaturesWithoutEffect, LinearNeedsRandomFeatures, LinearRedrawEveryNegative,
            ConversionSourceNotAModel, IncompatibleConversion,
            ChunksDoNotDivideMaxLength, ReversibleNeedsPreNorm, MaxLengthNotMultipleOfBucketSize, OddNumberOfBuckets);

        private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = All.ToDictionary(d => d.Id);

        /// <summary>The descriptor with this ID (IDs come from this table, so the lookup cannot miss).</summary>
        public static DiagnosticDescriptor ById(string id) => s_byId[id];

        /// <summary>The descriptor that reports a broken spec rule.</summary>
        public static DiagnosticDescriptor For(SpecRule rule) => s_byId[rule.Id];
    }
}
