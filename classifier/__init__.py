"""detente's article tagger: tone (escalation / de-escalation / neutral + score) and topics.

The service depends only on `classifier.prediction` (values and the `ArticleClassifier`
protocol) and `classifier.artifact.load_classifier`. Modules by concern:

    taxonomy, prediction        fixed labels; input/output values
    text, features              sentence splitting; word/bigram counts and tf-idf
    article_features, aggregation, model
                                batch featurisation; sentence -> article features; the tagger
    artifact                    skops save/load with an explicit trusted-type list
    label_mapping, sources, corpus
                                source label -> tone/topics; readers; de-dup, caps, split
    fitting, thresholds, training
                                fit all parts; topic thresholds; `python -m classifier.training`
    metrics, evaluation, dev_report, baseline, seed_articles
                                metrics; `evaluate_file`; dev report and TF-IDF+LR baseline
"""
