// dashboardcheck validates Grafana dashboard JSON files against Grafana's own dashboard model,
// as published in the Grafana Foundation SDK: strict decoding fails on a missing required field,
// a field of the wrong type or an unknown field, in the dashboard, its panels, their options and
// field configs, and their Prometheus queries. Panel types without a registered model are refused,
// so nothing escapes the check.
//
//	go run . deploy/grafana/dashboards/*.json
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/text"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The panel plugins a detente dashboard may use: each one's options are decoded strictly.
var panelModels = []variants.PanelcfgConfig{
	bargauge.VariantConfig(),
	heatmap.VariantConfig(),
	piechart.VariantConfig(),
	stat.VariantConfig(),
	table.VariantConfig(),
	text.VariantConfig(),
	timeseries.VariantConfig(),
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dashboardcheck DASHBOARD.json...")
		os.Exit(2)
	}
	runtime := cog.NewRuntime()
	known := map[string]bool{"row": true}
	for _, model := range panelModels {
		runtime.RegisterPanelcfgVariant(model)
		known[model.Identifier] = true
	}
	runtime.RegisterDataqueryVariant(prometheus.VariantConfig())

	failed := false
	for _, path := range os.Args[1:] {
		if err := check(path, known); err != nil {
			fmt.Printf("%s: INVALID\n%v\n", path, err)
			failed = true
		} else {
			fmt.Printf("%s: valid\n", path)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func check(path string, known map[string]bool) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var board dashboard.Dashboard
	if err := failure(board.UnmarshalJSONStrict(raw)); err != nil {
		return err
	}
	if err := failure(board.Validate()); err != nil {
		return err
	}
	// Strict decoding lets a panel of an unregistered type keep its options as raw JSON.
	var shape struct {
		Panels []struct {
			Type   string `json:"type"`
			Panels []struct {
				Type string `json:"type"`
			} `json:"panels"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		return err
	}
	for _, panel := range shape.Panels {
		if !known[panel.Type] {
			return fmt.Errorf("panel type %q has no model in this check", panel.Type)
		}
		for _, inner := range panel.Panels {
			if !known[inner.Type] {
				return fmt.Errorf("panel type %q has no model in this check", inner.Type)
			}
		}
	}
	return nil
}

// failure drops the empty error list that the SDK returns (as a non-nil interface) on success.
func failure(err error) error {
	var list cog.BuildErrors
	if errors.As(err, &list) && len(list) == 0 {
		return nil
	}
	return err
}
