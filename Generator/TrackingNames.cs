namespace XformerDsl.Generator
{
    /// <summary>Names of the pipeline steps, so tests can assert which steps an edit re-ran.</summary>
    internal static class TrackingNames
    {
        /// <summary>Each <c>[Transformer]</c> declaration parsed and validated.</summary>
        public const string Parsed = "XformerDsl.Parsed";

        /// <summary>The valid models, the input of source emission.</summary>
        public const string Models = "XformerDsl.Models";

        /// <summary>The diagnostics of each declaration.</summary>
        public const string Diagnostics = "XformerDsl.Diagnostics";

        /// <summary>Attention and frame attributes found on a class without <c>[Transformer]</c>.</summary>
        public const string OrphanAttributes = "XformerDsl.OrphanAttributes";
    }
}
