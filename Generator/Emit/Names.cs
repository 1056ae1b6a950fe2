using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// The <c>global::</c>-qualified names the emitted code shares across families, so user code can never shadow them.
    /// A name only one family uses lives in that family's class.
    /// </summary>
    internal static class Names
    {
        public const string Torch = "global::TorchSharp.torch";
        public const string Tensor = "global::TorchSharp.torch.Tensor";
        public const string Nn = "global::TorchSharp.torch.nn";
        public const string Functional = "global::TorchSharp.torch.nn.functional";
        public const string Init = "global::TorchSharp.torch.nn.init";
        public const string ModuleBase = "global::TorchSharp.torch.nn.Module";
        public const string TorchModules = "global::TorchSharp.Modules";
        public const string Linear = "global::TorchSharp.Modules.Linear";
        public const string Embedding = "global::TorchSharp.Modules.Embedding";
        public const string LayerNorm = "global::TorchSharp.Modules.LayerNorm";
        public const string Parameter = "global::TorchSharp.Modules.Parameter";

        public const string RmsNorm = "global::XformerDsl.Modules.RmsNorm";
        public const string TokenLinear = "global::XformerDsl.Modules.TokenLinear";
        public const string TokenActivation = "global::XformerDsl.Modules.TokenActivation";
        public const string RotaryEmbedding = "global::XformerDsl.Modules.RotaryEmbedding";
        public const string RotaryTables = "global::XformerDsl.Modules.RotaryTables";
        public const string SinusoidalPositions = "global::XformerDsl.Modules.SinusoidalPositions";
        public const string ModelInputs = "global::XformerDsl.Modules.ModelInputs";
        public const string SequencePooling = "global::XformerDsl.Modules.SequencePooling";
        public const string PoolingByAttention = "global::XformerDsl.Modules.PoolingByAttention";
        public const string DeclaredModel = "global::XformerDsl.Modules.IDeclaredModel";
        public const string SequenceModel = "global::XformerDsl.Modules.ISequenceModel";
        public const string SequenceToSequenceModel = "global::XformerDsl.Modules.ISequenceToSequenceModel";
        public const string FullAttentionReference = "global::XformerDsl.Attention.Full.FullAttentionReference";
        public const string FusedAttention = "global::XformerDsl.Autograd.FusedAttention";
        public const string FusedBiasedAttention = "global::XformerDsl.Autograd.FusedBiasedAttention";
        public const string PatternAttentionReference = "global::XformerDsl.Attention.Patterns.PatternAttentionReference";
        public const string SequenceChunks = "global::XformerDsl.Autograd.SequenceChunks";
        public const string ReversibleBlock = "global::XformerDsl.Autograd.ReversibleBlock";
        public const string ReversibleLayers = "global::XformerDsl.Autograd.ReversibleLayers";

        public const string ModelSpec = "global::XformerDsl.Specs.ModelSpec";
        public const string FeedForwardSpec = "global::XformerDsl.Specs.FeedForwardSpec";
        public const string PositionSpec = "global::XformerDsl.Specs.PositionSpec";
        public const string NormSpec = "global::XformerDsl.Specs.NormSpec";
        public const string LayerAttention = "global::XformerDsl.Specs.LayerAttention";
        public const string LayerSelector = "global::XformerDsl.Specs.LayerSelector";
        public const string ModelStack = "global::XformerDsl.ModelStack";
        public const string EncoderSpec = "global::XformerDsl.Specs.EncoderSpec";
        public const string BudgetSpec = "global::XformerDsl.Specs.BudgetSpec";
        public const string ClassificationHeadSpec = "global::XformerDsl.Specs.ClassificationHeadSpec";
        public const string MaskedLanguageModelHeadSpec = "global::XformerDsl.Specs.MaskedLanguageModelHeadSpec";
        public const string ImmutableEquatableArray = "global::XformerDsl.Specs.ImmutableEquatableArray";
        public const string ModelCard = "global::XformerDsl.ModelCard";
        public const string Dsl = "global::XformerDsl";

        /// <summary>
        /// A user's identifier as emitted code must write it: <c>@class</c> for a keyword, else unchanged. The
        /// parser keeps names as the compiler knows them (<c>class</c>), so messages and the model card read naturally.
        /// </summary>
        public static string Identifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>A dotted namespace name with each keyword segment escaped, e.g. <c>Demo.@event</c>.</summary>
        public static string DottedIdentifier(string dotted) =>
            string.Join(".", dotted.Split('.').Select(segment => Identifier(segment.TrimStart('@'))));
    }
}
